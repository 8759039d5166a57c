"""Hand-made PDFs that carry JavaScript in the places a viewer looks for it.

Written byte by byte so each hiding place is exactly what the test says: a plain
/OpenAction, names spelt with #xx escapes, a script packed in a compressed object stream
(reachable only through a cross-reference stream), a script link on the page.
"""

from __future__ import annotations

import zlib

ALERT = "app.alert('PDF-JS'); this.getField('f').value = 'JS RAN';"


def _string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _page_objects(annots: str = "") -> dict[int, str]:
    content = "BT /F1 24 Tf 72 700 Td (Hello PDF) Tj ET"
    return {
        2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        f"/Resources << /Font << /F1 4 0 R >> >> /Annots [7 0 R {annots}] >>",
        4: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        5: f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        7: "<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /V (untouched) "
        "/Rect [72 600 400 630] /P 3 0 R /F 4 /DA (/F1 12 Tf 0 g) >>",
    }


def build(objects: dict[int, str], *, packed: set[int] = frozenset()) -> bytes:
    """A PDF of `objects` (number -> body; 1 is the catalog). Objects in `packed` go into a
    compressed object stream and the file gets a cross-reference stream instead of a table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(set(objects) - set(packed)):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode("latin-1")
    size = max(objects) + 1
    if not packed:
        xref = len(out)
        out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
        for number in range(1, size):
            if number in offsets:
                out += f"{offsets[number]:010d} 00000 n \n".encode()
            else:
                out += b"0000000000 65535 f \n"
        out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)

    stream_number, xref_number = size, size + 1
    bodies, header, position = b"", [], 0
    for number in sorted(packed):
        body = objects[number].encode("latin-1") + b"\n"
        header.append(f"{number} {position}")
        bodies += body
        position += len(body)
    head = (" ".join(header) + "\n").encode()
    data = zlib.compress(head + bodies)
    offsets[stream_number] = len(out)
    out += (
        (
            f"{stream_number} 0 obj\n<< /Type /ObjStm /N {len(packed)} /First {len(head)} "
            f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n"
        ).encode()
        + data
        + b"\nendstream\nendobj\n"
    )
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    index_in_stream = {number: i for i, number in enumerate(sorted(packed))}
    for number in range(1, xref_number + 1):
        if number in index_in_stream:
            rows.append(
                b"\x02"
                + stream_number.to_bytes(4, "big")
                + index_in_stream[number].to_bytes(2, "big")
            )
        elif number in offsets or number == xref_number:
            offset = len(out) if number == xref_number else offsets[number]
            rows.append(b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00")
        else:
            rows.append(b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff")
    table = b"".join(rows)
    xref = len(out)
    out += (
        (
            f"{xref_number} 0 obj\n<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] /Root 1 0 R "
            f"/Length {len(table)} >>\nstream\n"
        ).encode()
        + table
        + b"\nendstream\nendobj\n"
    )
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


CATALOG = (
    "<< /Type /Catalog /Pages 2 0 R {extra} /AcroForm << /Fields [7 0 R] "
    "/DA (/F1 12 Tf 0 g) /DR << /Font << /F1 4 0 R >> >> >> >>"
)


def open_action() -> bytes:
    """The classic: the catalog's /OpenAction is a JavaScript action."""
    objects = _page_objects()
    objects[1] = CATALOG.format(extra="/OpenAction 6 0 R")
    objects[6] = f"<< /Type /Action /S /JavaScript /JS {_string(ALERT)} >>"
    return build(objects)


def escaped_names() -> bytes:
    """/JavaScript and /JS spelt with #xx escapes, which PDF readers decode."""
    objects = _page_objects()
    objects[1] = CATALOG.format(extra="/OpenAction 6 0 R")
    objects[6] = f"<< /Type /Action /S /J#61va#53cript /J#53 {_string(ALERT)} >>"
    return build(objects)


def packed_document_script() -> bytes:
    """A document-level script (/Names /JavaScript) whose objects sit in a compressed object
    stream: the raw bytes show no /JS or /JavaScript at all."""
    objects = _page_objects()
    objects[1] = CATALOG.format(extra="/Names 8 0 R")
    objects[8] = "<< /JavaScript << /Names [(doc) 6 0 R] >> >>"
    objects[6] = f"<< /Type /Action /S /JavaScript /JS {_string(ALERT)} >>"
    return build(objects, packed={1, 6, 8})


def packed_clean() -> bytes:
    """The same layout (object stream, cross-reference stream) without any script."""
    objects = _page_objects()
    objects[1] = CATALOG.format(extra="")
    return build(objects, packed={1})


def script_link() -> bytes:
    """No script on opening; a link on the page runs one when clicked."""
    objects = _page_objects(annots="6 0 R")
    objects[1] = CATALOG.format(extra="")
    objects[6] = (
        "<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] /Border [0 0 0] "
        f"/A << /S /JavaScript /JS {_string(ALERT)} >> >>"
    )
    return build(objects)
