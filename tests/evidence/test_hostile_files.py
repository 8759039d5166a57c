"""Hostile files (issue 9): tiny uploads that ask a decoder for gigabytes.

For each: the server process never decodes it (its peak memory hardly moves), the child that
draws the preview stays within THUMBNAIL_MEMORY_MB (measured: `Outcome.peak_rss`), and the
upload is stored without a preview and with a Vietnamese warning (or refused, or given a
preview small enough to be harmless). Run with `-s` to see the figures.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from PIL import Image

from criteria.models import Criterion
from evidence import services
from evidence.models import Evidence, EvidenceFile
from evidence.services import (
    NO_PREVIEW_BROKEN,
    NO_PREVIEW_TOO_LARGE,
    evidence_replace,
    evidence_upload,
    thumbnail_limits,
)
from evidence.sniff import sniff
from evidence.thumbs import SIZE, make_thumbnail, webp_canvas
from guards import bounded
from tests.evidence.conftest import image_bytes, pdf_bytes
from tests.evidence.hostile_files import (
    HOSTILE,
    MB,
    pdf_with_page,
    png_bomb,
    slow_pdf,
    webp_solid,
)

JSON = {"HTTP_ACCEPT": "application/json"}
LEAF = "2.2.e"
# The server process may grow this much while it takes a hostile upload (parsing the request,
# reading headers, hashing): never by what decoding the file would cost.
SERVER_GROWTH = 64 * MB


def ids(case) -> str:
    return case.key


def high_water() -> int:
    """This process's peak resident memory since the last `reset_high_water()`, in bytes."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


def resident() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


def reset_high_water() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return resident()


@pytest.fixture(scope="module")
def child_start(tmp_path_factory):
    """The peak memory of a child that draws a tiny preview: what any child starts with."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.png"
    path.write_bytes(image_bytes("PNG"))
    outcome = bounded.run(make_thumbnail, str(path), "png", 256 * MB)
    assert outcome.ok and outcome.value[0]
    return outcome.peak_rss


@pytest.fixture
def criterion(demo):
    return Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=LEAF)


def upload_url(demo, criterion) -> str:
    return reverse("evidence:upload", args=[demo.assessment.pk, criterion.pk])


def run_worker(path: Path, settings) -> bounded.Outcome:
    kind = sniff(path, path.name)
    return bounded.run(
        make_thumbnail,
        str(path),
        kind.key,
        settings.THUMBNAIL_MAX_DECODED_MB * MB,
        limits=thumbnail_limits(),
    )


def report(label: str, outcome: bounded.Outcome, start: int) -> None:
    print(
        f"\n{label}: {outcome.status}, child peak {outcome.peak_rss / MB:.0f} MB "
        f"({(outcome.peak_rss - start) / MB:.0f} MB over its start) {outcome.error[:80]}"
    )


# -- the child that draws the preview -----------------------------------------------------------


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h.expect != "refused"], ids=ids)
def test_preview_child_stays_within_its_memory_budget(hostile, tmp_path, settings, child_start):
    path = tmp_path / hostile.name
    path.write_bytes(hostile.make())

    outcome = run_worker(path, settings)

    report(hostile.key, outcome, child_start)
    assert outcome.peak_rss > 0  # measured, whether the child finished or was killed
    assert outcome.peak_rss - child_start < settings.THUMBNAIL_MEMORY_MB * MB
    if hostile.expect == "preview":
        assert outcome.ok, outcome.error
        preview, _ = outcome.value
        assert preview.startswith(b"\xff\xd8")
    elif hostile.key == "flate-bomb-pdf":
        # Only the limit stops pdfium inflating the content stream.
        assert outcome.status in ("memory", "crash")
    else:
        # Judged by its decoded size before a pixel was decoded: the child hardly grew.
        assert outcome.ok
        assert outcome.value[0] is None
        assert "decoded" in outcome.value[1]
        assert outcome.peak_rss - child_start < 32 * MB


def test_a_pdf_page_renders_within_the_preview_whatever_its_shape(tmp_path):
    for width, height in [(3, 14400), (14400, 3), (200, 14_400_000), (595, 842)]:
        path = tmp_path / "trang.pdf"
        path.write_bytes(pdf_with_page(width, height))

        preview, reason = make_thumbnail(str(path), "pdf", 256 * MB)

        assert reason == ""
        with Image.open(io.BytesIO(preview)) as image:
            assert image.width <= SIZE[0] and image.height <= SIZE[1]
            assert max(image.size) >= SIZE[0] - 1  # the long side fills the preview


@pytest.mark.parametrize(
    "options", [{}, {"lossless": True}, {"exif": b"Exif\x00\x00II*\x00\x08\x00\x00\x00"}]
)
def test_the_webp_canvas_is_read_from_the_header_of_each_kind(options):
    # Lossy (VP8), lossless (VP8L) and extended (VP8X, with metadata) files.
    out = io.BytesIO()
    Image.new("RGB", (123, 45)).save(out, "WEBP", **options)

    assert webp_canvas(out.getvalue()[:30]) == (123, 45)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("Ảnh 12 MP.webp", lambda: webp_solid(4000, 3000)),
        ("Sơ đồ 25 MP.png", lambda: png_bomb(5000, 5000)),
    ],
    ids=["webp-12mp", "png-25mp-rgba"],
)
def test_large_but_ordinary_images_still_get_a_preview(name, make, tmp_path, settings, child_start):
    path = tmp_path / name
    path.write_bytes(make())

    outcome = run_worker(path, settings)

    report(name, outcome, child_start)
    assert outcome.ok, outcome.error
    assert outcome.value[0].startswith(b"\xff\xd8")
    assert outcome.peak_rss - child_start < settings.THUMBNAIL_MEMORY_MB * MB


def test_a_pdf_that_takes_too_long_to_draw_is_stopped(tmp_path, settings):
    settings.THUMBNAIL_CPU_SECONDS = 1
    settings.THUMBNAIL_WALL_SECONDS = 5
    path = tmp_path / "Chậm.pdf"
    path.write_bytes(slow_pdf(20_000))  # 1.3 KB, about 4 s of drawing

    outcome = run_worker(path, settings)

    assert outcome.status == "timeout", outcome


# -- uploads through the real request parser ----------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE, ids=ids)
@pytest.mark.django_db(transaction=True)  # the preview task runs at the commit
def test_hostile_upload_leaves_the_server_process_alone(
    hostile, client, demo, login_as, criterion, upload, media_root, own_staff
):
    login_as(own_staff)
    data = hostile.make()

    start = reset_high_water()
    response = client.post(
        upload_url(demo, criterion), {"files": [upload(hostile.name, data)]}, **JSON
    )
    growth = high_water() - start

    print(f"\n{hostile.key}: server process grew {growth / MB:.1f} MB")
    assert growth < SERVER_GROWTH
    assert response.status_code == 200
    [result] = response.json()["results"]
    if hostile.expect == "refused":
        assert result["status"] == "refused"
        assert "bom giải nén" in result["message"]
        assert not Evidence.objects.exists()
        return
    assert result["status"] == "stored"
    record = EvidenceFile.objects.get(evidence_id=result["id"])
    with record.file.open("rb") as handle:
        assert handle.read() == data  # the file itself is kept as sent
    if hostile.expect == "no_preview":
        assert result["warning"] == NO_PREVIEW_TOO_LARGE
        assert not record.thumbnail
    else:
        assert "warning" not in result
        assert record.thumbnail


@pytest.mark.django_db(transaction=True)  # the preview task runs at the commit
def test_without_javascript_the_warning_is_a_message(
    client, demo, login_as, criterion, upload, own_staff
):
    login_as(own_staff)

    response = client.post(
        upload_url(demo, criterion), {"files": [upload("Ảnh.webp", webp_solid(10950, 10950))]}
    )

    assert response.status_code == 302
    texts = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert ("success", "Đã tải lên “Ảnh.webp” thành MC-2.2.e-01.") in texts
    assert ("warning", f"“Ảnh.webp”: {NO_PREVIEW_TOO_LARGE}") in texts


@pytest.mark.django_db(transaction=True)  # the preview task runs at the commit
def test_replacing_with_a_hostile_file_keeps_it_without_a_preview(
    client, demo, login_as, criterion, upload, own_staff
):
    vhxh = login_as(own_staff)
    first = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=upload("Kế hoạch.pdf", pdf_bytes()),
        by=vhxh,
    ).evidence

    outcome = evidence_replace(
        evidence=first, upload=upload("Kế hoạch.png", png_bomb(10000, 10000)), by=vhxh
    )
    response = client.post(
        reverse("evidence:replace", args=[demo.assessment.pk, first.pk]),
        {"file": upload("Kế hoạch.webp", webp_solid(10950, 10950))},
    )

    assert outcome.status == "stored"
    assert outcome.warning == NO_PREVIEW_TOO_LARGE
    first.refresh_from_db()
    assert [v.version for v in first.versions.order_by("version")] == [1, 2, 3]
    assert [bool(v.thumbnail) for v in first.versions.order_by("version")] == [True, False, False]
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert NO_PREVIEW_TOO_LARGE in texts


@pytest.mark.django_db(transaction=True)  # the preview task runs at the commit
def test_an_image_that_cannot_be_decoded_is_stored_with_a_warning(
    demo, criterion, upload, own_staff
):
    # The header is sound (so the sniffer accepts it), the pixel data is not.
    broken = bytearray(image_bytes("PNG", size=(64, 64)))
    start = broken.index(b"IDAT") + 4
    broken[start : start + 8] = b"\x00" * 8
    data = bytes(broken[: start - 8]) + _chunk_with_fixed_crc(bytes(broken[start - 8 :]))

    outcome = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=upload("Hỏng.png", data),
        by=own_staff,
    )

    assert outcome.status == "stored"
    assert outcome.warning == NO_PREVIEW_BROKEN
    assert not outcome.evidence.current_file.thumbnail
    assert outcome.evidence.current_file.preview == EvidenceFile.Preview.BROKEN


def _chunk_with_fixed_crc(chunks: bytes) -> bytes:
    """The IDAT chunk (length, type, data, CRC) with its CRC recomputed, then the rest."""
    length = struct.unpack(">I", chunks[:4])[0]
    body = chunks[4 : 8 + length]
    return chunks[:4] + body + struct.pack(">I", zlib.crc32(body)) + chunks[12 + length :]


@pytest.mark.django_db(transaction=True)  # the preview task runs at the commit
def test_the_preview_is_drawn_before_any_transaction_is_opened(
    demo, criterion, upload, monkeypatch, own_staff
):
    depth_at_start = len(connection.atomic_blocks)
    depths = []
    draw = services.make_preview

    def watched(path, kind):
        depths.append(len(connection.atomic_blocks))
        return draw(path, kind)

    monkeypatch.setattr(services, "make_preview", watched)

    stored = evidence_upload(
        assessment=demo.assessment,
        criterion=criterion,
        upload=upload("Kế hoạch.pdf", pdf_bytes()),
        by=own_staff,
    )
    evidence_replace(
        evidence=stored.evidence, upload=upload("Ảnh.png", image_bytes("PNG")), by=own_staff
    )

    assert depths == [depth_at_start, depth_at_start]  # no lock is held while it draws
    stored.evidence.current_file.refresh_from_db()  # drawn after the commit
    assert stored.evidence.current_file.thumbnail
