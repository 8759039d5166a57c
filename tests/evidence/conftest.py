"""Shared evidence fixtures: a temporary MEDIA_ROOT and tiny real files made on the spot."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every evidence test stores its files in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    yield settings.MEDIA_ROOT


def stored_files(root) -> list:
    """Every file under `root`, for "nothing was written" checks."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def pdf_bytes(pages: int = 1, width: float = 595, height: float = 842) -> bytes:
    """A real (blank) PDF made with PDFium."""
    document = pdfium.PdfDocument.new()
    try:
        for _ in range(pages):
            document.new_page(width, height)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def image_bytes(
    fmt: str, size=(40, 20), color=(200, 30, 30), exif_orientation: int | None = None
) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation  # Orientation
        exif[0x010F] = "Máy ảnh thử"  # Make: metadata the thumbnail must drop
        kwargs["exif"] = exif
    image.save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def make_pdf():
    """`make_pdf()` returns the bytes of a small real PDF."""
    return pdf_bytes


@pytest.fixture
def make_png():
    """`make_png(size=(w, h))` returns the bytes of a real PNG."""

    def _make(size=(40, 20), color=(30, 120, 200)) -> bytes:
        return image_bytes("PNG", size=size, color=color)

    return _make


@pytest.fixture
def make_jpeg():
    """`make_jpeg(exif_orientation=6)` returns a real JPEG, optionally with EXIF data."""

    def _make(size=(40, 20), color=(200, 30, 30), exif_orientation: int | None = None) -> bytes:
        return image_bytes("JPEG", size=size, color=color, exif_orientation=exif_orientation)

    return _make


@pytest.fixture
def upload():
    """`upload("Biên bản.pdf", data)` returns a SimpleUploadedFile for services and views."""

    def _make(name: str, content: bytes, content_type: str = "application/octet-stream"):
        return SimpleUploadedFile(name, content, content_type=content_type)

    return _make
