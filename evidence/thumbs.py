"""Small JPEG previews: images with EXIF orientation applied and no metadata; PDF page one."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image, ImageOps

log = logging.getLogger(__name__)
SIZE = (480, 480)


def _jpeg(image: Image.Image) -> bytes:
    image = image.convert("RGB")
    image.thumbnail(SIZE)
    out = io.BytesIO()
    # Rebuilt from raw pixels, so no EXIF, GPS position or comment of the original survives.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def image_thumbnail(path: Path) -> bytes:
    with Image.open(path) as image:
        image.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))  # JPEG: decode at reduced size
        return _jpeg(ImageOps.exif_transpose(image))


def pdf_thumbnail(path: Path) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        width = page.get_width()
        bitmap = page.render(scale=SIZE[0] / max(width, 1))
        return _jpeg(bitmap.to_pil())
    finally:
        document.close()


def make_thumbnail(path: Path, kind: str) -> bytes | None:
    """A JPEG preview, or None when the type has none or the file cannot be rendered."""
    try:
        if kind in ("jpeg", "png", "webp"):
            return image_thumbnail(path)
        if kind == "pdf":
            return pdf_thumbnail(path)
    except Exception:  # a preview must never make an upload fail
        log.warning("No thumbnail for %s", path, exc_info=True)
    return None
