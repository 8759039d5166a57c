"""Report benchmark: the demo report and its appendix as PDF, by WeasyPrint and by LibreOffice.

    DJANGO_DEBUG=1 .venv/bin/python bench/report_bench.py [--keep DIR]      (or: make bench)

Sets Django up against a temporary SQLite database (DATABASE_URL set before django.setup()),
migrates, loads the demo with the seed report's outcome (`demo_load`) and creates the demo
report of Nghi Dương as the clerk (`report_create(..., by=vanthu)`). Then, in this one process:

1. cold: `import weasyprint`, then the first `report_pdf` and the first `appendix_pdf`
   (templates, fonts and Pango warm up here);
2. warm: RUNS × (report_pdf + appendix_pdf), median and min, per document and combined;
   page counts, page sizes and PDF sizes.

Then the same content through LibreOffice: the two documents rendered with the same
templates and the same for_pdf=True context (fonts as file:// URLs) are written as HTML
and converted by `libreoffice --headless --convert-to pdf`, one fresh soffice process per
run (as a commune would run it), with a profile of its own made by an untimed first run.

Figures are printed, not checked. With --keep DIR the four PDFs are copied to DIR (to look
at them, e.g. with pdftoppm); everything else is removed at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo_portal import demo_portal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
LO_RUNS = 3
LO_TIMEOUT = 300
GOAL_SECONDS = 1.0
GOAL_RATIO = 0.5  # ours < half of LibreOffice
INSTALL_HINT = "apt-get install -y --no-install-recommends libreoffice-writer"
PAGE_SIZES = {(210, 297): "A4 portrait", (297, 210): "A4 landscape"}


# -- small helpers -------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def kib(size: int) -> str:
    return f"{size / 1024:,.0f} KB"


def pdf_facts(data: bytes) -> dict:
    """Page count, page sizes (mm) and embedded font names, by pypdf (or pdfinfo)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        sizes = []
        fonts = set()
        for page in reader.pages:
            box = page.mediabox
            size = (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72))
            if size not in sizes:
                sizes.append(size)
            resources = page.get("/Resources") or {}
            for font in (resources.get("/Font") or {}).values():
                name = str(font.get_object().get("/BaseFont", ""))
                fonts.add(name.split("+", 1)[-1].lstrip("/"))
        return {"pages": len(reader.pages), "sizes": sizes, "fonts": sorted(fonts)}
    except ImportError:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            info = subprocess.run(
                ["pdfinfo", handle.name], capture_output=True, text=True, check=False
            ).stdout
        pages = next(
            (int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), 0
        )
        return {"pages": pages, "sizes": [], "fonts": []}


def describe(label: str, data: bytes) -> str:
    facts = pdf_facts(data)
    sizes = ", ".join(PAGE_SIZES.get(s, f"{s[0]}×{s[1]} mm") for s in facts["sizes"]) or "?"
    fonts = ", ".join(facts["fonts"]) or "?"
    return f"  {label:<22} {facts['pages']:>3} pages, {kib(len(data)):>7}, {sizes}; fonts: {fonts}"


# -- the throw-away portal (bench/_demo_portal.py) -----------------------------------------------------------------------


def build_portal(work: Path):
    assessment = demo_portal(work)
    from django.contrib.auth import get_user_model

    from reports.services import report_create

    clerk = get_user_model().objects.get(username="vanthu")
    return report_create(assessment=assessment, by=clerk)


# -- ours: WeasyPrint in this process ------------------------------------------------------------


def bench_ours(report) -> dict:
    from reports.documents import appendix_pdf, report_pdf

    start = time.perf_counter()
    import weasyprint

    imported = time.perf_counter() - start
    start = time.perf_counter()
    first_report = report_pdf(report, cached=False)
    first_report_s = time.perf_counter() - start
    start = time.perf_counter()
    first_appendix = appendix_pdf(report, cached=False)
    first_appendix_s = time.perf_counter() - start
    cold = imported + first_report_s + first_appendix_s
    print(f"1. Ours, cold (WeasyPrint {weasyprint.__version__}, first renders in this process)")
    print(f"  import weasyprint       {seconds(imported)}")
    print(f"  first report_pdf        {seconds(first_report_s)}")
    print(f"  first appendix_pdf      {seconds(first_appendix_s)}")
    print(f"  cold total              {seconds(cold)}  (import + both first renders)")

    times = {"report": [], "appendix": [], "both": []}
    for _ in range(RUNS):
        start = time.perf_counter()
        report_bytes = report_pdf(report, cached=False)
        middle = time.perf_counter()
        appendix_bytes = appendix_pdf(report, cached=False)
        end = time.perf_counter()
        times["report"].append(middle - start)
        times["appendix"].append(end - middle)
        times["both"].append(end - start)
    print(f"2. Ours, warm ({RUNS} runs of report_pdf + appendix_pdf)")
    for name, values in times.items():
        print(
            f"  {name:<9} median {seconds(statistics.median(values))}, "
            f"min {seconds(min(values))}  ({', '.join(f'{v:.2f}' for v in values)})"
        )
    html_times = context_and_html_times(report)
    print(
        "  of which context + HTML (queries and template, no WeasyPrint): median "
        + ", ".join(f"{name} {seconds(value)}" for name, value in html_times.items())
    )
    print(describe("report (ours)", report_bytes))
    print(describe("appendix (ours)", appendix_bytes))
    # As issuing renders them: the report in this process, the appendix in the warm worker
    # process (reports.rendering), side by side on the two cores.
    from reports.documents import render_pdfs

    render_pdfs(report, cached=False)  # starts the worker and warms it
    side = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render_pdfs(report, cached=False)
        side.append(time.perf_counter() - start)
    times["side"] = side
    print(
        f"  report + appendix side by side (RENDER_WORKERS=1): median "
        f"{seconds(statistics.median(side))}, min {seconds(min(side))}"
    )
    # What the secretary waits for when nothing changed since the last PDF (preview, then
    # download): the HTML is rebuilt and hashed, the PDF comes from the document cache.
    report_pdf(report)
    appendix_pdf(report)
    hits = []
    for _ in range(RUNS):
        start = time.perf_counter()
        report_pdf(report)
        appendix_pdf(report)
        hits.append(time.perf_counter() - start)
    print(
        f"  unchanged content again (document cache hit): median {seconds(statistics.median(hits))}"
    )
    return {
        "cold": {
            "report": imported + first_report_s,
            "appendix": first_appendix_s,
            "both": cold,
        },
        "warm": {name: statistics.median(values) for name, values in times.items()},
        "pdfs": {"report.pdf": report_bytes, "appendix.pdf": appendix_bytes},
        "first_pdfs_same_pages": (
            pdf_facts(first_report)["pages"] == pdf_facts(report_bytes)["pages"]
            and pdf_facts(first_appendix)["pages"] == pdf_facts(appendix_bytes)["pages"]
        ),
    }


def context_and_html_times(report) -> dict[str, float]:
    """Median time of the part of report_pdf/appendix_pdf before WeasyPrint, per document."""
    from django.template.loader import render_to_string

    from reports.documents import appendix_context, report_context

    result = {}
    for name, template, make in (
        ("report", "reports/report_document.html", report_context),
        ("appendix", "reports/appendix_document.html", appendix_context),
    ):
        values = []
        for _ in range(RUNS):
            start = time.perf_counter()
            render_to_string(template, make(report, for_pdf=True))
            values.append(time.perf_counter() - start)
        result[name] = statistics.median(values)
    return result


# -- LibreOffice on the same HTML ----------------------------------------------------------------


def write_html(report, folder: Path) -> list[Path]:
    from django.template.loader import render_to_string

    from reports.documents import appendix_context, report_context

    folder.mkdir()
    paths = []
    for name, template, context in (
        ("report", "reports/report_document.html", report_context(report, for_pdf=True)),
        ("appendix", "reports/appendix_document.html", appendix_context(report, for_pdf=True)),
    ):
        path = folder / f"{name}.html"
        path.write_text(render_to_string(template, context), encoding="utf-8")
        paths.append(path)
    return paths


def soffice_run(binary: str, profile: Path, target: str, out: Path, html: list[Path]):
    """One fresh soffice process converting both files; (seconds, output PDFs or None, log)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    command = [
        binary,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(out),
        *map(str, html),
    ]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=LO_TIMEOUT)
        log = (done.stdout + done.stderr).strip()
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None, f"timed out after {LO_TIMEOUT} s"
    elapsed = time.perf_counter() - start
    pdfs = {f"{p.stem}.pdf": out / f"{p.stem}.pdf" for p in html}
    if not all(p.exists() and p.stat().st_size > 0 for p in pdfs.values()):
        return elapsed, None, log
    return elapsed, {name: p.read_bytes() for name, p in pdfs.items()}, log


def bench_libreoffice(report, work: Path) -> dict | None:
    binary = shutil.which("libreoffice") or shutil.which("soffice")
    if binary is None:
        print("3. LibreOffice: not run, it is not installed. To compare, install it with:")
        print(f"     {INSTALL_HINT}")
        return None
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    html = write_html(report, work / "html")
    profile = work / "lo-profile"
    out = work / "lo-out"
    print(f"3. LibreOffice ({version or binary}), same HTML, one fresh soffice per run")

    target = None
    for candidate in ("pdf", "pdf:writer_web_pdf_Export"):
        elapsed, pdfs, log = soffice_run(binary, profile, candidate, out, html)
        if pdfs is not None:
            target = candidate
            print(
                f"  first run ever ({candidate}, creates the profile): {seconds(elapsed)} "
                "(not counted)"
            )
            break
        print(f"  --convert-to {candidate}: no PDF ({seconds(elapsed)}): {log[-300:]!r}")
    if target is None:
        print("  LibreOffice made no PDF from the HTML; no figures.")
        return None

    times = []
    for _ in range(LO_RUNS):
        elapsed, pdfs, log = soffice_run(binary, profile, target, out, html)
        if pdfs is None:
            print(f"  a run failed: {log[-300:]!r}")
            return None
        times.append(elapsed)
    median = statistics.median(times)
    print(
        f"  --convert-to {target}, both files: median {seconds(median)}, min {seconds(min(times))}"
        f"  ({', '.join(f'{v:.2f}' for v in times)})"
    )
    print(describe("report (LibreOffice)", pdfs["report.pdf"]))
    print(describe("appendix (LibreOffice)", pdfs["appendix.pdf"]))
    return {"both": median, "pdfs": {f"lo-{k}": v for k, v in pdfs.items()}}


def bench_libreoffice_docx(report, work: Path) -> dict | None:
    """LibreOffice on the equivalent Word files a commune would otherwise keep: the report and
    the appendix as DOCX (reports.docx), laid out by LibreOffice itself (tables, borders,
    page set-up), one fresh soffice per run."""
    binary = shutil.which("libreoffice") or shutil.which("soffice")
    if binary is None:
        return None
    from reports.docx import appendix_docx, report_docx

    folder = work / "office"
    folder.mkdir()
    files = [folder / "report.docx", folder / "appendix.docx"]
    files[0].write_bytes(report_docx(report))
    files[1].write_bytes(appendix_docx(report))
    profile = work / "lo-profile"
    out = work / "lo-docx-out"
    print("3b. LibreOffice on the equivalent DOCX files")
    result = {}
    for label, chosen in (("report", files[:1]), ("both", files)):
        times = []
        pdfs = None
        for _ in range(LO_RUNS):
            elapsed, pdfs, log = soffice_run(binary, profile, "pdf", out, chosen)
            if pdfs is None:
                print(f"  a run failed: {log[-300:]!r}")
                return None
            times.append(elapsed)
        result[label] = statistics.median(times)
        print(
            f"  {label:<7} --convert-to pdf: median {seconds(result[label])}, "
            f"min {seconds(min(times))}  ({', '.join(f'{v:.2f}' for v in times)})"
        )
    print(describe("report (LO, DOCX)", pdfs["report.pdf"]))
    print(describe("appendix (LO, DOCX)", pdfs["appendix.pdf"]))
    result["pdfs"] = {f"lo-docx-{k}": v for k, v in pdfs.items()}
    return result


# -- the summary ---------------------------------------------------------------------------------


def summary(ours: dict, lo: dict | None, office: dict | None = None) -> None:
    lo_both = lo["both"] if lo else None
    comparisons = [("report alone", ours["warm"]["report"], office and office["report"], "DOCX")]
    comparisons += [
        (
            "report + appendix, side by side",
            ours["warm"]["side"],
            office and office["both"],
            "DOCX",
        ),
        ("report + appendix, side by side", ours["warm"]["side"], lo_both, "the same HTML"),
        (
            "report + appendix, one after the other",
            ours["warm"]["both"],
            office and office["both"],
            "DOCX",
        ),
    ]
    for label, value, theirs, source in comparisons:
        if not theirs:
            continue
        share = value / theirs
        verdict = "MET" if value < GOAL_SECONDS and share < GOAL_RATIO else "MISSED"
        print(
            f"  {label}: ours warm {value:.2f} s, LibreOffice from {source} {theirs:.2f} s: "
            f"ours is {share:.0%} of it (goal < 1 s and < half: {verdict})"
        )
    header = (
        f"  {'document':<20}{'ours warm':>11}{'ours cold':>11}{'LibreOffice':>13}{'LO ÷ warm':>11}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, label in (
        ("report", "report"),
        ("appendix", "appendix"),
        ("both", "report + appendix"),
    ):
        warm, cold = ours["warm"][name], ours["cold"][name]
        lo_value = lo_both if name == "both" else None
        ratio = f"{lo_value / warm:.1f}×" if lo_value else "–"
        lo_text = f"{lo_value:.2f}" if lo_value else "–"
        print(f"  {label:<20}{warm:>11.2f}{cold:>11.2f}{lo_text:>13}{ratio:>11}")
    print("  (ours cold for the report includes `import weasyprint`)")

    goal = f"goal: ours < {GOAL_SECONDS:.0f} s and < half of LibreOffice"
    for label, value in (("warm", ours["warm"]["both"]), ("cold", ours["cold"]["both"])):
        under_second = value < GOAL_SECONDS
        if lo_both is None:
            verdict = f"{'met' if under_second else 'MISSED'} for < 1 s; LibreOffice not measured"
        else:
            under_half = value < GOAL_RATIO * lo_both
            verdict = (
                f"{'< 1 s' if under_second else 'NOT < 1 s'}, "
                f"{'< half' if under_half else 'NOT < half'} of LibreOffice "
                f"({value / lo_both:.0%} of it): {'MET' if under_second and under_half else 'MISSED'}"
            )
        print(f"  {goal}; ours {label} {value:.2f} s: {verdict}")
    if not ours["first_pdfs_same_pages"]:
        print("  note: the first (cold) PDFs had a different page count from the warm ones")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", type=Path, help="copy the PDFs made to this folder")
    args = parser.parse_args()

    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="report-bench-", dir="/tmp"))
    try:
        print(f"Report benchmark in {work} (temporary SQLite database)")
        print(
            f"  {os.cpu_count()} CPUs, load average {load()} (other work on the machine skews the figures)"
        )
        report = build_portal(work)
        print(
            f"  demo loaded and report created ({report.sections.count()} sections) "
            f"in {time.perf_counter() - began:.1f} s"
        )
        ours = bench_ours(report)
        lo = bench_libreoffice(report, work)
        office = bench_libreoffice_docx(report, work)
        summary(ours, lo, office)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            made = {
                **ours["pdfs"],
                **(lo["pdfs"] if lo else {}),
                **(office["pdfs"] if office else {}),
            }
            for name, data in made.items():
                (args.keep / name).write_bytes(data)
            print(f"  PDFs kept in {args.keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"Done in {time.perf_counter() - began:.0f} s, load average {load()}; "
        "temporary files removed."
    )


if __name__ == "__main__":
    main()
