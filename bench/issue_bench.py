"""Issuing benchmark: issue, sign (signer, then commune), verify and build the city's dossier.

    DJANGO_DEBUG=1 .venv/bin/python bench/issue_bench.py [--keep DIR]      (or: make bench)

Sets Django up against a temporary SQLite database (DATABASE_URL set before django.setup()),
with a temporary MEDIA_ROOT and document cache; migrates, loads the demo with the seed
report's outcome, every score approved (`demo_load`), and gives Nghi Dương its test
certificates (`demo_signing_setup`). Then, in this one process, RUNS + 1 reports of the same
assessment go one after the other through the whole path, as the secretary does it:

    report_create → report_issue → report_sign_person → report_sign_organisation
    → document_verify (the final PDF) → dossier_build

The first pass is cold (templates, fonts, WeasyPrint and pyHanko warm up there); the
figures of the other RUNS passes give the warm median. Each report gets the next number of
the register (01, 02, …) and so its own PDFs: nothing comes from a cache.

Also measured: the import of pyHanko and WeasyPrint in a fresh interpreter, opening the
PKCS#12 key (what each signature pays: the organisation's step opens it twice, once for the
report and once for the appendix), and the parts of report_issue. Figures are printed, not
checked. With --keep DIR the last report's signed PDFs and its dossier are copied to DIR.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.serialization import pkcs12

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo_portal import demo_portal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5  # warm passes, after the cold one
PARTS_RUNS = 3
STEPS = [
    ("create", "report_create"),
    ("issue", "report_issue"),
    ("person", "report_sign_person"),
    ("organisation", "report_sign_organisation"),
    ("verify", "document_verify (final PDF)"),
    ("dossier", "dossier_build"),
]
PATH_STEPS = ("issue", "person", "organisation", "verify")  # the "issue + sign + verify" total
IMPORTS = {
    "pyhanko (signing: pyhanko.sign.signers)": "import pyhanko.sign.signers",
    "pyhanko (validation + certvalidator)": (
        "import pyhanko.sign.validation, pyhanko_certvalidator"
    ),
    "pyhanko (both, as a signing + verifying process)": (
        "import pyhanko.sign.signers, pyhanko.sign.validation, pyhanko_certvalidator"
    ),
    "weasyprint": "import weasyprint",
}


# -- small helpers -------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def kib(size: int) -> str:
    return f"{size / 1024:,.0f} KB"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def median_of(function, runs: int) -> tuple[float, list[float]]:
    values = [timed(function)[0] for _ in range(runs)]
    return statistics.median(values), values


# -- imports, in a fresh interpreter each ------------------------------------------------------


def import_costs() -> None:
    """The time of `import X` in a new Python process (the median of three), without Django."""
    print("1. Import cost in a fresh interpreter (median of 3 processes)")
    for label, statement in IMPORTS.items():
        code = (
            "import time; start = time.perf_counter(); "
            f"{statement}; print(time.perf_counter() - start)"
        )
        values = []
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
            )
            if done.returncode != 0:
                print(f"  {label:<52} failed: {done.stderr.strip()[-200:]}")
                break
            values.append(float(done.stdout.strip()))
        else:
            print(f"  {label:<52} {seconds(statistics.median(values))}")


# -- the throw-away portal (bench/_demo_portal.py) -----------------------------------------------------------------------


def build_portal(work: Path):
    assessment = demo_portal(work)
    from django.contrib.auth import get_user_model

    from assessments.models import Score

    unapproved = assessment.scores.exclude(status=Score.Status.APPROVED).count()
    clerk = get_user_model().objects.get(username="vanthu")
    return assessment, clerk, unapproved


def signing_setup(assessment):
    """The test PKI (RSA keys, certificates, PKCS#12 files) and the keys stored; timed."""
    from reports.demo.signing import demo_signing_setup
    from reports.models import SigningKey

    elapsed, _ = timed(demo_signing_setup, commune=assessment.commune)
    person = SigningKey.objects.get(commune=assessment.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=assessment.commune, owner__isnull=True)
    print(
        f"  demo_signing_setup (test CA + 2 PKCS#12, checked with their passphrase; "
        f"first pyHanko import in this process): {seconds(elapsed)}"
    )
    return person, organisation


def pkcs12_costs(key) -> None:
    """What opening the key costs each signature: reading the stored .p12, parsing it and
    decrypting it with the passphrase, and building pyHanko's signer."""
    from reports.demo.signing import DEMO_PASSPHRASE
    from reports.services.signing import key_material
    from reports.signing.keys import open_key as _open

    material = key_material(key, DEMO_PASSPHRASE)
    raw, raw_values = median_of(
        lambda: pkcs12.load_key_and_certificates(material.pkcs12, material.passphrase), RUNS
    )
    opened, open_values = median_of(lambda: _open(key_material(key, DEMO_PASSPHRASE)), RUNS)
    print(f"2. PKCS#12 key ({len(material.pkcs12):,} bytes), median of {RUNS}")
    print(
        f"  cryptography load_key_and_certificates             {ms(raw)}"
        f"  ({', '.join(f'{v * 1000:.0f}' for v in raw_values)} ms)"
    )
    print(
        f"  key_material + reports.signing._open (as signing)   {ms(opened)}"
        f"  ({', '.join(f'{v * 1000:.0f}' for v in open_values)} ms)"
    )


# -- the path, RUNS + 1 times -------------------------------------------------------------------


def one_pass(assessment, clerk, person, organisation) -> tuple[dict, object, object]:
    from reports.demo.signing import DEMO_PASSPHRASE
    from reports.services import report_create
    from reports.services.dossier import dossier_build
    from reports.services.issuing import current_file, report_issue
    from reports.services.signing import report_sign_organisation, report_sign_person
    from reports.services.verifying import document_verify

    times = {}
    times["create"], report = timed(report_create, assessment=assessment, by=clerk)
    times["issue"], report = timed(report_issue, report=report, by=clerk)
    times["person"], _ = timed(
        report_sign_person, report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner
    )  # the signer signs from their own account; the clerk (văn thư) seals
    times["organisation"], final = timed(
        report_sign_organisation, report=report, key=organisation, secret=DEMO_PASSPHRASE, by=clerk
    )
    data = final.read()
    times["verify"], result = timed(document_verify, data)
    if result["verdict"] not in ("issued", "test") or len(result["checks"]) != 2:
        print(f"  note: {report.number_text} verified as {result['verdict']!r}")
    times["dossier"], dossier = timed(dossier_build, report=report, by=clerk)
    assert current_file(report, "report").pk == final.pk
    return times, report, dossier


def issue_parts(report) -> dict[str, float]:
    """The parts of report_issue, on an issued report (read-only: nothing is stored)."""
    from evidence.selectors import evidence_snapshot
    from reports import documents
    from reports.xlsx import appendix_xlsx

    parts = {
        "render_pdfs (report + appendix, side by side)": lambda: documents.render_pdfs(
            report, issued=True, cached=False
        ),
        "appendix_xlsx": lambda: appendix_xlsx(report),
        "evidence_snapshot": lambda: evidence_snapshot(report.assessment),
    }
    return {name: median_of(make, PARTS_RUNS)[0] for name, make in parts.items()}


def appearance_costs(report, organisation) -> None:
    """One signature of the unsigned appendix with the commune's key, by its appearance: the
    text stamp report_sign_organisation draws (number and time, Noto Serif subset embedded by
    pyHanko), the seal image alone, and an invisible signature."""
    from reports.demo.signing import DEMO_PASSPHRASE
    from reports.services.signing import appendix_stamp_box, key_material
    from reports.signing import Appearance, sign_pdf

    unsigned = report.files.get(kind="appendix", stage="unsigned").read()
    with organisation.appearance.open("rb") as handle:
        seal = handle.read()
    box = appendix_stamp_box((841.89, 595.28))
    kinds = {
        "text stamp (as the appendix is signed)": Appearance(
            page=0, box=box, text=f"{report.number_text}\n2026-01-01T00:00:00+07:00"
        ),
        "seal image only": Appearance(page=0, box=box, image_png=seal),
        "no appearance (invisible signature)": None,
    }
    print(f"6. One signature by appearance (warm, median of {PARTS_RUNS}, key opening included)")
    for index, (label, appearance) in enumerate(kinds.items()):

        def sign(appearance=appearance, index=index):
            sign_pdf(
                unsigned,
                material=key_material(organisation, DEMO_PASSPHRASE),
                field_name=f"Bench{index}",
                appearance=appearance,
            )

        print(f"  {label:<50}{median_of(sign, PARTS_RUNS)[0]:>7.2f} s")


def sizes(report, dossier) -> str:
    files = {(f.kind, f.stage): f.size for f in report.files.all()}
    return (
        f"report unsigned {kib(files[('report', 'unsigned')])} → signer "
        f"{kib(files[('report', 'person')])} → commune {kib(files[('report', 'organisation')])}; "
        f"appendix {kib(files[('appendix', 'unsigned')])} → "
        f"{kib(files[('appendix', 'organisation')])}; dossier ZIP {kib(dossier.size)}"
    )


def table(passes: list[dict]) -> dict[str, float]:
    cold = passes[0]
    warm = passes[1:]
    medians = {step: statistics.median(p[step] for p in warm) for step, _ in STEPS}
    print(f"4. Per step: the first pass (cold) and the median of the next {len(warm)} (warm)")
    header = f"  {'step':<30}{'cold':>9}{'warm median':>13}{'warm min':>10}{'warm max':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for step, label in STEPS:
        values = [p[step] for p in warm]
        print(
            f"  {label:<30}{cold[step]:>9.2f}{medians[step]:>13.2f}"
            f"{min(values):>10.2f}{max(values):>10.2f}"
        )
    print("  " + "-" * (len(header) - 2))
    cold_total = sum(cold[s] for s in PATH_STEPS)
    warm_totals = [sum(p[s] for s in PATH_STEPS) for p in warm]
    print(
        f"  {'issue + sign ×2 + verify':<30}{cold_total:>9.2f}"
        f"{statistics.median(warm_totals):>13.2f}{min(warm_totals):>10.2f}{max(warm_totals):>10.2f}"
    )
    cold_all = sum(cold.values())
    warm_all = [sum(p.values()) for p in warm]
    print(
        f"  {'whole path (all six steps)':<30}{cold_all:>9.2f}"
        f"{statistics.median(warm_all):>13.2f}{min(warm_all):>10.2f}{max(warm_all):>10.2f}"
    )
    print("  (seconds; the totals' warm columns are of the per-pass sums)")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", type=Path, help="copy the last signed PDFs and dossier here")
    args = parser.parse_args()

    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="issue-bench-", dir="/tmp"))
    try:
        print(f"Issuing benchmark in {work} (temporary SQLite database)")
        print(
            f"  {os.cpu_count()} CPUs, load average {load()} "
            "(other work on the machine skews the figures)"
        )
        import_costs()
        assessment, clerk, unapproved = build_portal(work)
        print(
            f"  demo loaded ({assessment}, {unapproved} scores not approved) "
            f"in {time.perf_counter() - began:.1f} s"
        )
        person, organisation = signing_setup(assessment)
        pkcs12_costs(person)

        passes = []
        print(f"3. {RUNS + 1} reports of {assessment}, each through the whole path")
        for index in range(RUNS + 1):
            times, report, dossier = one_pass(assessment, clerk, person, organisation)
            passes.append(times)
            print(
                f"  {'cold' if index == 0 else 'warm'} {report.number_text}: "
                + ", ".join(f"{step} {value:.2f}" for step, value in times.items())
            )
        print(f"  sizes ({report.number_text}): {sizes(report, dossier)}")
        medians = table(passes)

        parts = issue_parts(report)
        print(
            f"5. Inside report_issue, each part alone (warm, median of {PARTS_RUNS}; "
            f"report_issue itself: {medians['issue']:.2f} s)"
        )
        for name, value in parts.items():
            print(f"  {name:<50}{value:>7.2f} s")
        appearance_costs(report, organisation)

        if args.keep:
            from reports.services.issuing import current_file

            args.keep.mkdir(parents=True, exist_ok=True)
            for kind in ("report", "appendix"):
                (args.keep / f"{kind}-signed.pdf").write_bytes(current_file(report, kind).read())
            shutil.copyfile(dossier.file.path, args.keep / "dossier.zip")
            print(f"  signed PDFs and dossier kept in {args.keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"Done in {time.perf_counter() - began:.0f} s, load average {load()}; "
        "temporary files removed."
    )


if __name__ == "__main__":
    main()
