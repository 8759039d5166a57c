from django import template

from reports.names import (
    common_name,
    issued_file_label,
    signature_level,
    signature_level_technical,
)

register = template.Library()
register.filter("common_name", common_name)
register.filter("signature_level", signature_level)
register.filter("signature_level_technical", signature_level_technical)
register.filter("issued_file_label", issued_file_label)
