"""Hostile files benchmark: what each tiny file of issue 9 costs, before and after the limits.

    DJANGO_DEBUG=1 .venv/bin/python bench/hostile_files_bench.py      (or: make bench)

For each hostile upload (tests/evidence/hostile_files.py) it prints:

- before: the preview code as it was before issue 9 (PDF scale from the page width alone, no
  decoded-size check), run in a throw-away subprocess under a hard 4 GB address-space cap and
  a 120 s CPU cap so the machine survives; "hit the cap" when the cap stopped it;
- after: the upload path of today in this process: the content check (sniff) here, then the
  preview in the bounded child with the THUMBNAIL_* settings. Memory is the child's peak
  (`Outcome.peak_rss`) and how much this process's own peak grew.

Then the criteria workbook of a million rows: `read_criteria_xlsx` as it was (openpyxl's full
load) in a capped subprocess, and as it is. Figures are printed, never checked. Everything
made is removed at the end.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
CAP = 4 * 1024 * MB
CAP_CPU_SECONDS = 120

# The preview code before issue 9, word for word but for the imports.
BEFORE_PREVIEW = """
import io, sys
from PIL import Image, ImageOps
SIZE = (480, 480)

def _jpeg(image):
    image = image.convert("RGB")
    image.thumbnail(SIZE)
    out = io.BytesIO()
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    clean.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()

def image_thumbnail(path):
    with Image.open(path) as image:
        image.draft("RGB", (SIZE[0] * 2, SIZE[1] * 2))
        return _jpeg(ImageOps.exif_transpose(image))

def pdf_thumbnail(path):
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        width = page.get_width()
        bitmap = page.render(scale=SIZE[0] / max(width, 1))
        return _jpeg(bitmap.to_pil())
    finally:
        document.close()

path, kind = sys.argv[1], sys.argv[2]
preview = pdf_thumbnail(path) if kind == "pdf" else image_thumbnail(path)
print(f"preview of {len(preview)} bytes")
"""

# read_sheet before issue 9: the whole workbook loaded, every row kept; then the rows are
# checked by today's (unchanged) read_rows.
BEFORE_IMPORT = """
import io, os, sys
sys.path.insert(0, os.environ["BENCH_ROOT"])
import django
django.setup()
from openpyxl import load_workbook
from criteria.xlsx import read_rows
data = open(sys.argv[1], "rb").read()
sheet = load_workbook(io.BytesIO(data), data_only=False).worksheets[0]
formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
table = [list(row) for row in sheet.iter_rows(values_only=True)]
rows, problems = read_rows(table[0], table[1:], None)
print(f"{len(rows):,} rows read, {len(problems.messages()):,} problems")
"""


def capped():
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    resource.setrlimit(resource.RLIMIT_CPU, (CAP_CPU_SECONDS, CAP_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_capped(code: str, *args: str) -> tuple[str, float, int]:
    """(what happened, wall seconds, peak resident bytes) of `code` in a capped subprocess."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=capped,
        env={**os.environ, "BENCH_ROOT": str(ROOT)},
    )
    # wait4, not wait: the peak memory of this very child.
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    process.stdout.close()
    process.stderr.close()
    peak = usage.ru_maxrss * 1024
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return out.strip().splitlines()[-1], elapsed, peak
    last = (err.strip().splitlines() or [""])[-1][:70]
    if code == -signal.SIGXCPU:
        return f"hit the {CAP_CPU_SECONDS} s CPU cap", elapsed, peak
    if code < 0 or "memory" in err.lower() or "alloc" in err.lower():
        return (
            f"hit the 4 GB cap ({signal.Signals(-code).name if code < 0 else last})",
            elapsed,
            peak,
        )
    return f"failed: {last}", elapsed, peak


def high_water() -> int:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) * 1024


def reset_high_water() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) * 1024


def after_upload(path: Path) -> tuple[str, float, int, int]:
    """(what happened, seconds, child peak, this process's growth) on today's upload path."""
    from evidence.services import make_preview
    from evidence.sniff import Refused, sniff
    from guards import bounded

    outcomes = []
    real_run = bounded.run

    def watched(*args, **kwargs):
        outcome = real_run(*args, **kwargs)
        outcomes.append(outcome)
        return outcome

    bounded.run = watched
    start = reset_high_water()
    began = time.perf_counter()
    try:
        kind = sniff(path, path.name)
        preview, warning = make_preview(path, kind)
    except Refused as refusal:
        return f"refused: {str(refusal)[:60]}", time.perf_counter() - began, 0, high_water() - start
    finally:
        bounded.run = real_run
    elapsed = time.perf_counter() - began
    child = outcomes[0] if outcomes else None
    if preview:
        what = f"preview of {len(preview)} bytes"
    else:
        why = child.value[1] if child.ok else f"{child.status}: {child.error}"
        what = f"no preview, warned ({why[:50]})"
    return what, elapsed, child.peak_rss if child else 0, high_water() - start


def mb(n: int) -> str:
    return f"{n / MB:,.0f} MB"


def bench_previews(work: Path) -> None:
    from django.conf import settings

    from tests.evidence.hostile_files import HOSTILE, Hostile, slow_pdf

    cases = [
        *HOSTILE,
        Hostile("slow-pdf", "Chậm.pdf", lambda: slow_pdf(200_000), "PDF, 200,000 page fills", ""),
    ]
    print(
        f"1. Previews (limits: {settings.THUMBNAIL_MEMORY_MB} MB, "
        f"{settings.THUMBNAIL_CPU_SECONDS} s CPU, {settings.THUMBNAIL_WALL_SECONDS:g} s wall, "
        f"images up to {settings.THUMBNAIL_MAX_DECODED_MB} MB decoded)"
    )
    for case in cases:
        path = work / case.name
        began = time.perf_counter()
        data = case.make()
        made = time.perf_counter() - began
        path.write_bytes(data)
        kind = "pdf" if path.suffix == ".pdf" else "image"
        print(f"  {case.what}: {len(data):,} bytes, made in {made * 1000:.0f} ms")
        what, elapsed, peak = run_capped(BEFORE_PREVIEW, str(path), kind)
        print(f"    before: {elapsed:6.2f} s, peak {mb(peak):>8}  {what}")
        what, elapsed, child, growth = after_upload(path)
        print(
            f"    after:  {elapsed:6.2f} s, child peak {mb(child):>7}, server +{mb(growth)}  {what}"
        )


def bench_import(work: Path) -> None:
    from django.test import override_settings

    from criteria.xlsx import read_criteria_xlsx
    from tests.criteria.workbooks import many_rows_xlsx

    path = work / "trieu-dong.xlsx"
    began = time.perf_counter()
    data = many_rows_xlsx(rows=1_000_000)
    path.write_bytes(data)
    print(
        f"2. Criteria workbook of a million rows: {len(data):,} bytes, made in "
        f"{time.perf_counter() - began:.2f} s"
    )
    what, elapsed, peak = run_capped(BEFORE_IMPORT, str(path))
    print(f"    before: {elapsed:6.2f} s, peak {mb(peak):>8}  {what}")
    # The same rows with the sheet's size declared, as Excel writes it; and the largest sheet
    # the size check lets through, without that declaration (openpyxl then scans the whole
    # sheet for it when it opens the file).
    declared = many_rows_xlsx(rows=1_000_000, dimension="A1:C1000001")
    largest = many_rows_xlsx(rows=80_000)
    off = {"CRITERIA_IMPORT_MAX_XML_MB": 1000}
    for label, workbook, overrides in (
        ("after", data, {}),
        ("after, size check off, size declared", declared, off),
        ("after, size check off", data, off),
        ("after, 80,000 rows (9.4 MB of XML)", largest, {}),
    ):
        start = reset_high_water()
        began = time.perf_counter()
        with override_settings(**overrides):
            rows, problems = read_criteria_xlsx(workbook, None)
        elapsed = time.perf_counter() - began
        message = problems.messages()[0][:60] if problems else f"{len(rows)} rows"
        print(f"    {label}: {elapsed:.2f} s, +{mb(high_water() - start)}: {message}")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chinhquyen.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    began = time.perf_counter()
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hostile-bench-", dir=ROOT / "var"))
    try:
        print(f"Hostile files benchmark in {work}; 'before' runs under a 4 GB cap")
        bench_previews(work)
        bench_import(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Done in {time.perf_counter() - began:.0f} s; temporary files removed.")


if __name__ == "__main__":
    main()
