from django import template

from evidence.text import human_size

register = template.Library()

ICONS = {
    "pdf": "bi-file-earmark-pdf",
    "doc": "bi-file-earmark-word",
    "docx": "bi-file-earmark-word",
    "odt": "bi-file-earmark-text",
    "xls": "bi-file-earmark-excel",
    "xlsx": "bi-file-earmark-excel",
    "ods": "bi-file-earmark-spreadsheet",
    "mp4": "bi-file-earmark-play",
}


@register.filter
def kind_icon(kind: str) -> str:
    return ICONS.get(kind, "bi-file-earmark-image")


@register.filter
def filesize(size: int | None) -> str:
    return human_size(int(size or 0))
