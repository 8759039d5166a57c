"""Hostile files, made on the spot from a few bytes (pure Python, zlib and Pillow).

Each costs almost nothing to make and store, and asks a decoder for far more memory, time or
pixels than its size suggests: the cases of issue 9. Used by tests/evidence/test_hostile_files.py
and bench/hostile_files_bench.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

MB = 1024 * 1024


# -- PDF --------------------------------------------------------------------------------------


def pdf_with_page(width: float, height: float, content: bytes = b"", flate: bool = False) -> bytes:
    """A one-page PDF whose MediaBox is `width` × `height` points, with a correct xref."""
    stream_dict = b"/Length %d" % len(content) + (b" /Filter /FlateDecode" if flate else b"")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Contents 4 0 R >>"
        % (_number(width), _number(height)),
        b"<< " + stream_dict + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _number(value: float) -> bytes:
    return (b"%d" % value) if float(value).is_integer() else (b"%g" % value)


def tall_page_pdf(width: float = 3, height: float = 14400) -> bytes:
    """A 3-point-wide, 200-inch-tall page painted blue: 440 bytes. Scaled to a 480-pixel-wide
    preview, its bitmap would be 480 × 2,304,000 pixels (4.4 GB)."""
    paint = b"0 0 1 rg 0 0 %s %s re f" % (_number(width), _number(height))
    return pdf_with_page(width, height, paint)


def repeated_zlib(block: bytes, count: int) -> bytes:
    """zlib data that inflates to `block` × `count`, made by compressing `block` once.

    After a full flush a deflate stream forgets what came before, so each copy of the block
    compresses to the same bytes; only the Adler-32 checksum sees every copy."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(count):
        adler = zlib.adler32(block, adler)
    # zlib header, the blocks, an empty final block, the checksum
    return b"\x78\xda" + body * count + b"\x03\x00" + struct.pack(">I", adler)


def flate_bomb_pdf(inflated_mb: int = 1024) -> bytes:
    """An A4 page whose content stream is about 1 MB compressed and `inflated_mb` MB inflated
    (spaces: quick to parse, so what it costs is memory)."""
    return pdf_with_page(595, 842, repeated_zlib(b" " * MB, inflated_mb), flate=True)


def slow_pdf(fills: int = 20_000) -> bytes:
    """An A4 page painted over `fills` times: about 1 KB, and seconds of drawing per 20,000."""
    return pdf_with_page(595, 842, repeated_zlib(b"0 0 595 842 re f " * fills, 1), flate=True)


# -- images -----------------------------------------------------------------------------------


class _Bits:
    """A little-endian bit writer, as WebP lossless (VP8L) wants."""

    def __init__(self):
        self.value = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= (value & ((1 << bits) - 1)) << self.count
        self.count += bits

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def webp_solid(width: int, height: int) -> bytes:
    """A lossless WebP of one colour (red) at any size up to 16384 × 16384: 34 bytes.

    Every prefix code has a single symbol, so each pixel takes zero bits: the header's size is
    all there is to it."""
    bits = _Bits()
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha not used
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (0, 255, 0, 255, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # of 8 bits
        bits.put(symbol, 8)
    payload = b"\x2f" + bits.bytes()
    payload += b"\0" * (len(payload) % 2)
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A black PNG of `width` × `height` whose pixels compress about 1000:1."""
    bands, colour_type = {"L": (1, 0), "RGB": (3, 2), "RGBA": (4, 6)}[mode]
    row = b"\0" * (1 + width * bands)  # filter byte, then the pixels
    per_block = next(n for n in range(max(1, MB // len(row)), 0, -1) if height % n == 0)
    data = repeated_zlib(row * per_block, height // per_block)
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int, progressive: bool = False) -> bytes:
    """A real 64 × 64 JPEG whose frame header then says `width` × `height`: under 1 KB."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 30)).save(out, "JPEG", progressive=progressive)
    data = bytearray(out.getvalue())
    at = 2
    while data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: precision, height, width
            data[at + 5 : at + 7] = height.to_bytes(2, "big")
            data[at + 7 : at + 9] = width.to_bytes(2, "big")
            return bytes(data)
        at += 2 + length
    raise ValueError("no frame header")


# -- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    key: str
    name: str  # as uploaded
    make: Callable[[], bytes]
    what: str  # for the bench's table
    # What the portal does with it: "no_preview" (stored, no preview, a warning), "preview"
    # (stored with a small preview: the limits make it cheap) or "refused".
    expect: str


HOSTILE = [
    Hostile("tall-pdf", "Trang cao.pdf", tall_page_pdf, "PDF, page 3 × 14400 pt", "preview"),
    Hostile(
        "wide-pdf",
        "Trang rộng.pdf",
        lambda: tall_page_pdf(14400, 3),
        "PDF, page 14400 × 3 pt",
        "preview",
    ),
    Hostile(
        "huge-pdf",
        "Trang khổng lồ.pdf",
        lambda: pdf_with_page(200, 14_400_000),
        "PDF, page 200 × 14,400,000 pt",
        "preview",
    ),
    Hostile(
        "flate-bomb-pdf",
        "Bom nén.pdf",
        flate_bomb_pdf,
        "PDF, 1 GB content stream",
        "no_preview",
    ),
    Hostile(
        "webp-bomb",
        "Ảnh.webp",
        lambda: webp_solid(10950, 10950),
        "WebP 10950 × 10950",
        "no_preview",
    ),
    Hostile(
        "png-bomb",
        "Ảnh.png",
        lambda: png_bomb(10000, 10000),
        "PNG 10000 × 10000 RGBA",
        "no_preview",
    ),
    Hostile(
        "jpeg-declared",
        "Ảnh.jpg",
        lambda: jpeg_declaring(10950, 10950),
        "JPEG saying 10950 × 10950",
        "preview",
    ),
    Hostile(
        "jpeg-progressive",
        "Ảnh lũy tiến.jpg",
        lambda: jpeg_declaring(10950, 10950, progressive=True),
        "progressive JPEG saying 10950 × 10950",
        "no_preview",
    ),
    Hostile(
        "jpeg-over-limit",
        "Ảnh lớn.jpg",
        lambda: jpeg_declaring(65000, 65000),
        "JPEG saying 65000 × 65000",
        "refused",
    ),
]
