"""Small JPEG previews: images with EXIF orientation applied and no metadata; PDF page one.

A few bytes can ask a decoder for gigabytes (a 34-byte WebP of 10950 × 10950, a 444-byte PDF
whose page is 3 points wide and 14400 tall), so these functions run in a bounded child
(`guards.bounded.run`, called by `evidence.services`), never in the server process. They import
no Django and take plain arguments: the child never configures Django.

Before decoding, an image is judged by what its pixels will cost in memory once decoded, and
a PDF page is rendered at a scale that fits both its width and its height into the preview.
What is over the limit comes back as `(None, reason)`; a broken file raises.
"""

from __future__ import annotations

import io
import math
import warnings

import pypdfium2 as pdfium
from PIL import Image, ImageOps

SIZE = (480, 480)
MB = 1024 * 1024
THUMBNAIL_KINDS = {"jpeg", "png", "webp", "pdf"}

# Bytes per pixel Pillow allocates for a decoded image of each mode (image memory keeps every
# multi-band 8-bit mode, RGB included, in 4 bytes a pixel). Modes not listed: 4.
PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Modes shrunk as they are; any other is converted to RGB first, at full size (as before the
# limits: the preview is an RGB JPEG, so transparency never survived).
SHRUNK_AS_IS = {"L", "RGB"}


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """What Pillow allocates for the pixels of an image of `mode` and `size`."""
    width, height = size
    return width * height * PIXEL_BYTES.get(mode, 4)


def webp_cost(canvas: tuple[int, int]) -> int:
    # libwebp's canvas and its copy of the previous frame, Pillow's copy of the frame, and the
    # image itself: four full-size RGBA buffers.
    return 4 * decoded_bytes("RGBA", canvas)


def image_cost(image: Image.Image, full_size: tuple[int, int]) -> int:
    """Bytes of memory decoding and shrinking `image` (opened, not loaded, after any draft)
    will hold at once; `full_size` is its size before the draft."""
    if image.format == "WEBP":
        cost = webp_cost(image.size)
    else:
        cost = decoded_bytes(image.mode, image.size)
    if image.mode not in SHRUNK_AS_IS:
        cost += decoded_bytes("RGB", image.size)
    if image.format == "JPEG" and image.info.get("progressive"):
        # libjpeg keeps every DCT coefficient of a progressive JPEG at full size, whatever
        # the draft scale: 2 bytes per pixel and colour component.
        width, height = full_size
        cost += width * height * len(image.getbands()) * 2
    return cost


def _jpeg(image: Image.Image) -> bytes:
    if image.mode not in SHRUNK_AS_IS:
        image = image.convert("RGB")
    # Shrunk before it is turned upright, so no other full-size copy is made.
    image.thumbnail(SIZE)
    image = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    # Rebuilt from raw pixels, so no EXIF, GPS position or comment of the original survives.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def webp_canvas(head: bytes) -> tuple[int, int] | None:
    """The canvas size the first 30 bytes of a WebP file declare, or None."""
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(head[26:28], "little") & 0x3FFF
        height = int.from_bytes(head[28:30], "little") & 0x3FFF
        return width, height
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _over(size: tuple[int, int], mode: str, cost: int, max_decoded: int) -> str:
    return (
        f"image {size[0]}x{size[1]} {mode} needs {cost // MB} MB decoded, "
        f"over {max_decoded // MB} MB"
    )


def image_thumbnail(path: str, max_decoded: int) -> tuple[bytes | None, str]:
    with open(path, "rb") as handle:
        canvas = webp_canvas(handle.read(30))
    # libwebp allocates the whole canvas as soon as Pillow opens the file: judge it first.
    if canvas and webp_cost(canvas) > max_decoded:
        return None, _over(canvas, "WebP", webp_cost(canvas), max_decoded)
    with warnings.catch_warnings():
        # Pillow warns above 89 million pixels; the decoded size is judged here instead.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            full_size = image.size
            # JPEG decodes at 1/2, 1/4 or 1/8 of its size when asked; others ignore this.
            image.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))
            cost = image_cost(image, full_size)
            if cost > max_decoded:
                return None, _over(full_size, image.mode, cost, max_decoded)
            return _jpeg(image), ""


def pdf_scale(width: float, height: float) -> float:
    """The render scale that fits the page into SIZE, by its width and its height."""
    return min(SIZE[0] / width, SIZE[1] / height)


def pdf_thumbnail(path: str) -> tuple[bytes | None, str]:
    document = pdfium.PdfDocument(path)
    try:
        page = document[0]
        width, height = page.get_size()
        if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
            return None, f"page size {width}x{height} pt"
        scale = pdf_scale(width, height)
        # The bitmap pypdfium2 allocates: never more than the preview, whatever the page says.
        pixels = math.ceil(width * scale) * math.ceil(height * scale)
        if pixels > (SIZE[0] + 1) * (SIZE[1] + 1):
            return None, f"bitmap of {pixels} pixels"
        bitmap = page.render(scale=scale)
        return _jpeg(bitmap.to_pil()), ""
    finally:
        document.close()


def make_thumbnail(path: str, kind: str, max_decoded: int) -> tuple[bytes | None, str]:
    """(JPEG preview, "") or (None, why not) for a kind that has previews; raises when the
    file cannot be decoded. Run it through `guards.bounded.run`."""
    if kind in ("jpeg", "png", "webp"):
        return image_thumbnail(path, max_decoded)
    if kind == "pdf":
        return pdf_thumbnail(path)
    return None, ""
