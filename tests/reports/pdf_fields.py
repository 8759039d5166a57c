"""Reading signature fields back from a PDF with pypdf, for the tests."""

from __future__ import annotations

import io

from pypdf import PdfReader


def signature_boxes(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Signature field name -> (page index, /Rect) of its widget, read back with pypdf."""
    boxes = {}
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            node, kind, names = annot, None, []
            while node is not None:
                kind = kind or node.get("/FT")
                if "/T" in node:
                    names.append(str(node["/T"]))
                node = node.get("/Parent")
                node = node.get_object() if node is not None else None
            if kind == "/Sig" and names:
                rect = tuple(float(v) for v in annot["/Rect"])
                boxes[".".join(reversed(names))] = (index, rect)
    return boxes
