"""File names of downloads, written the way a Vietnamese reader says the document.

A name is folded to ASCII ('Báo cáo số 01, đã ký (cơ quan)' -> 'bao-cao-so-01-da-ky-co-quan')
so that it survives every browser, mail client and the city's document system unchanged;
Django's header helper adds `filename*` by itself should a name ever keep a non-ASCII letter.
Each app builds its names from its own words (reports.names, evidence.archive) with these.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, TypeVar

# Django is imported where a response is named, not here: the signature check
# (reports.signing, reports.names) runs without Django in a separate process.
if TYPE_CHECKING:
    from django.http import HttpResponseBase

Response = TypeVar("Response", bound="HttpResponseBase")


def ascii_words(text: object) -> str:
    """'Xã Đông Hải, năm 2025' -> 'xa-dong-hai-nam-2025': 'đ' becomes 'd', not nothing."""
    folded = str(text or "").replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def file_name(*parts: object, extension: str) -> str:
    """file_name('Báo cáo', 'số 01', 'đã ký (cơ quan)', extension='.pdf')
    -> 'bao-cao-so-01-da-ky-co-quan.pdf'. Empty parts are left out."""
    words = [ascii_words(part) for part in parts]
    return "-".join(word for word in words if word) + extension


def send_as(response: Response, name: str, *, inline: bool = False) -> Response:
    """Name the file the response carries: saved under `name`, or shown in the browser."""
    from django.utils.http import content_disposition_header  # noqa: PLC0415 (see above)

    header = content_disposition_header(as_attachment=not inline, filename=name)
    assert header is not None  # only None for an inline response without a name
    response["Content-Disposition"] = header
    return response
