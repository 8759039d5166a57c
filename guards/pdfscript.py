"""Does a PDF carry JavaScript? Decided before a browser is asked to open it inline.

Chromium's PDF viewer (PDFium) runs a document's JavaScript (an /OpenAction, the /Names
/JavaScript tree, /AA triggers, script links and form actions) whatever the response's
Content-Security-Policy says: tried on Chromium 156 with `sandbox`, `sandbox; default-src
'none'`, `script-src 'none'; object-src 'none'`, `default-src 'none'` and `object-src
'none'`, the script's `app.alert` dialog still appeared and it still rewrote a form field.
The script runs inside PDFium, not in the page, so the page's policy never sees it. The
portal therefore opens inline only PDFs in which no script is found; others download.

The search is deliberately wide, since a false alarm only costs a download:
- the raw bytes, for the names /JS, /JavaScript and /XFA (XFA forms carry scripts), written
  plainly or with #xx escapes, anywhere in the file (also in revisions a later update hid);
- every object pypdf finds through the cross-reference tables, including those packed in
  compressed object streams, for the same keys and for actions of type /JavaScript.
A file, or an object, pypdf cannot read, or a file that needs a password, counts as carrying
script: the viewer could still open it. Run it through `guards.bounded.run`, never in the request's process.
"""

from __future__ import annotations

import mmap
import re

SCRIPT_NAMES = {b"JS", b"JavaScript", b"XFA"}
_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_PLAIN = re.compile(rb"/(JS|JavaScript|XFA)(?=[" + _DELIMITERS + rb"]|\Z)")
_ESCAPED = re.compile(rb"/[^" + _DELIMITERS + rb"]*#[0-9A-Fa-f]{2}[^" + _DELIMITERS + rb"]*")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")


def _raw_names(data: bytes | mmap.mmap) -> list[str]:
    found = {match.group(1).decode() for match in _PLAIN.finditer(data)}
    for match in _ESCAPED.finditer(data):
        name = _HEX.sub(lambda hexed: bytes([int(hexed.group(1), 16)]), match.group()[1:])
        if name in SCRIPT_NAMES:
            found.add(name.decode())
    return [f"/{name} trong tệp" for name in sorted(found)]


def _script_in(value: object, depth: int = 0) -> str | None:
    """The first sign of script in a direct object (indirect ones are visited on their own)."""
    # pypdf is loaded in the bounded children (bounded.PRELOAD), not in the web process.
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject  # noqa: PLC0415

    if depth > 100:
        return "lồng quá sâu"
    if isinstance(value, DictionaryObject):  # streams too: their dictionary is checked
        for key, item in value.items():
            if key in ("/JS", "/JavaScript", "/XFA"):
                return key
            if key == "/S" and item == "/JavaScript":
                return "/S /JavaScript"
            if not isinstance(item, IndirectObject) and (found := _script_in(item, depth + 1)):
                return found
    elif isinstance(value, ArrayObject):
        for item in value:
            if not isinstance(item, IndirectObject) and (found := _script_in(item, depth + 1)):
                return found
    return None


def _object_names(path: str) -> list[str]:
    from pypdf import PdfReader  # noqa: PLC0415 (see _script_in)
    from pypdf.generic import IndirectObject  # noqa: PLC0415

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return ["tệp có mật khẩu"]
    numbers = {
        (number, generation) for generation, table in reader.xref.items() for number in table
    }
    numbers |= {(number, 0) for number in reader.xref_objStm}
    found = set()
    for number, generation in sorted(numbers):
        try:
            value = reader.get_object(IndirectObject(number, generation, reader))
        except Exception:  # noqa: BLE001 (what pypdf cannot read, PDFium might, script and all)
            found.add("đối tượng không đọc được")
            continue
        if (sign := _script_in(value)) is not None:
            found.add(sign)
    return [f"{sign} trong đối tượng" for sign in sorted(found)]


def pdf_script_signs(path: str) -> list[str]:
    """Every sign of script in the PDF at `path`; empty when none was found.

    Raises on a file pypdf cannot read at all: the caller treats that as "may carry script".
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            return []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            raw = _raw_names(data)
    return raw + _object_names(path)
