"""Verification page benchmark: what an anonymous visitor can make the server do.

    DJANGO_DEBUG=1 .venv/bin/python bench/verify_bench.py [--before REF] [--no-unbounded]

Builds a throw-away portal (bench/_demo_portal.py) with one report issued and signed with the
demo's test keys, then measures:

1. GET of the verification link: the first one (the forkserver starts and imports pyHanko),
   cold (cache cleared: one bounded child validates the stored PDF) and cached; beside it,
   validate_pdf in this process, which the page did on every GET before.
2. The check of one uploaded file in a bounded child (time, the child's peak memory,
   status) and through the page (time, verdict): the signed report, a 29 MB signed PDF,
   29 MB of random bytes behind a PDF header, and a 29 MB "reference bomb" (a form listing
   one field millions of times). Unless --no-unbounded, each is also parsed unbounded in a
   separate process, as the request's own process did before (time, peak memory).
3. pyHanko's import: its cost in a fresh interpreter, and what is left of it in a child of
   the forkserver that preloads it.
4. The default rate limits: a burst of GETs and POSTs from one address.
5. Failed checks: the rows 1,000 of them write from one address.
6. Through a real server (manage.py runserver --noreload, threaded; rate limits raised):
   8 parallel posts of each 29 MB file. Memory of the server process (VmHWM, reset before
   each step) and the peak of its whole process tree (children included, sampled every
   50 ms); wall time, statuses, verdicts and log rows written. With --before REF the same
   runs against the code of REF (`git archive REF` into the temporary folder, same
   database), except the reference bomb, which would take 8 × 1.1 GB unbounded (add
   --before-bomb to send it anyway).

Figures are printed, not checked. Everything made is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib
import io
import logging
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

from pypdf import PdfWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo_portal import ROOT, demo_portal  # noqa: E402

MB = 1024 * 1024
BIG = 29 * MB
PARALLEL = 8
FAILURES = 1000
VISITOR = "203.0.113.5"
# The bench's server may be asked far more than a visitor: the limits are measured apart (4).
SERVER_ENV = {"VERIFY_RATE_GET": "100000/m", "VERIFY_RATE_POST": "100000/m"}
QUIET = logging.getLogger("django.request")  # one warning per 429 otherwise


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def mib(size: float) -> str:
    return f"{size / MB:,.0f} MB"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def import_seconds(modules: list[str]) -> float:
    """Run in a bounded child: how long importing `modules` takes there."""
    start = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    return time.perf_counter() - start


# -- the portal and its files -------------------------------------------------------------------


def signed_report(work: Path):
    """A throw-away portal; the demo's report issued and signed twice, as the secretary does."""
    assessment = demo_portal(work)
    from django.contrib.auth import get_user_model

    from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
    from reports.models import SigningKey
    from reports.services import report_create
    from reports.services.issuing import current_file, report_issue
    from reports.services.signing import report_sign_organisation, report_sign_person

    clerk = get_user_model().objects.get(username="vanthu")
    demo_signing_setup(commune=assessment.commune)
    person = SigningKey.objects.get(commune=assessment.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=assessment.commune, owner__isnull=True)
    report = report_issue(report=report_create(assessment=assessment, by=clerk), by=clerk)
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=clerk)
    return report, current_file(report, "report"), person


def big_signed_pdf(report, person) -> bytes:
    """The unsigned report with a 28 MB attachment of random bytes, signed: a large file a
    visitor may honestly have (a scanned annex)."""
    from reports.demo.signing import DEMO_PASSPHRASE
    from reports.services.signing import key_material
    from reports.signing import sign_pdf

    unsigned = report.files.get(kind="report", stage="unsigned").read()
    writer = PdfWriter(clone_from=io.BytesIO(unsigned))
    writer.add_attachment("phu-luc-quet.bin", os.urandom(BIG - len(unsigned) - MB))
    out = io.BytesIO()
    writer.write(out)
    signed, _, _ = sign_pdf(
        out.getvalue(),
        material=key_material(person, DEMO_PASSPHRASE),
        field_name="NguoiKy",
        appearance=None,
    )
    return signed


def test_files(work: Path, final, report, person) -> dict[str, Path]:
    from tests.reports.conftest import reference_bomb

    files = {
        "signed report (issued)": final.read(),
        "29 MB signed PDF": big_signed_pdf(report, person),
        "29 MB random bytes, PDF header": b"%PDF-1.7\n" + os.urandom(BIG - 9),
        "29 MB reference bomb": reference_bomb(BIG),
    }
    paths = {}
    for index, (label, data) in enumerate(files.items()):
        paths[label] = work / f"file-{index}.pdf"
        paths[label].write_bytes(data)
    return paths


# -- 1. the verification link ---------------------------------------------------------------------


def bench_link(client, report, final) -> None:
    from django.core.cache import cache
    from django.urls import reverse

    from reports.services.verifying import trust_roots
    from reports.signing import validate_pdf

    url = reverse("verify:document", args=[report.verify_token])
    cache.clear()
    first, response = timed(client.get, url)
    cold = []
    for _ in range(5):
        cache.clear()
        cold.append(timed(client.get, url)[0])
    cached = [timed(client.get, url)[0] for _ in range(20)]
    data = final.read()
    validate_pdf(data, trust_roots=trust_roots())  # the import, paid once
    in_process = [timed(validate_pdf, data, trust_roots=trust_roots())[0] for _ in range(5)]
    print("1. GET of the verification link (median)")
    print(f"  HTTP {response.status_code}; first GET (forkserver starts) {ms(first)}")
    print(f"  cold (one bounded child validates)          {ms(statistics.median(cold))}")
    print(f"  cached                                      {ms(statistics.median(cached))}")
    print(
        f"  before: validate_pdf in the request's process {ms(statistics.median(in_process))}"
        " on every GET"
    )


def verdict_of(html: str) -> str:
    found = re.search(r'data-verdict="(\w+)"', html)
    return found.group(1) if found else "–"


# -- 2. one uploaded file ---------------------------------------------------------------------------


UNBOUNDED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))  # so that the bench cannot take the machine down
sys.path.insert(0, {root!r})
from reports.signing import validate_pdf
open("/proc/self/clear_refs", "w").write("5")  # VmHWM from here (not the parent's, kept by exec)
data = open({path!r}, "rb").read()
start = time.perf_counter()
try:
    outcome = f"{{len(validate_pdf(data, trust_roots=[]))}} signatures"
except Exception as exc:
    outcome = type(exc).__name__
elapsed = time.perf_counter() - start
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
print(f"{{elapsed}} {{peak}} {{outcome}}")
"""


def unbounded(path: Path) -> str:
    """Parse in a plain process, as the server's own process did (capped at 4 GB, 120 s)."""
    code = UNBOUNDED.format(root=str(ROOT), path=str(path), cap=4096 * MB)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        )
    except subprocess.TimeoutExpired:
        return "over 120 s"
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()[-120:]}"
    elapsed, peak, outcome = done.stdout.split(maxsplit=2)
    return f"{float(elapsed):6.2f} s, peak {mib(int(peak)):>8}  ({outcome.strip()})"


def bench_files(client, files: dict[str, Path], with_unbounded: bool) -> None:
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from guards import bounded
    from reports.services.verifying import limits, trust_roots
    from reports.signing import check_file

    limit = limits()
    print(
        f"2. One uploaded file: bounded child (memory +{mib(limit.memory)}, "
        f"CPU {limit.cpu_seconds} s, wall {limit.wall_seconds:g} s) and through the page"
    )
    roots = trust_roots()
    for label, path in files.items():
        cache.clear()
        elapsed, outcome = timed(bounded.run, check_file, str(path), roots, limits=limit)
        found = outcome.value if outcome.ok else {}
        detail = f"{len(found['checks'])} signatures" if "checks" in found else "unreadable"
        print(f"  {label} ({mib(path.stat().st_size)})")
        print(
            f"    child:     {elapsed:6.2f} s, peak {mib(outcome.peak_rss):>8}  "
            f"({outcome.status}{': ' + detail if outcome.ok else ''})"
        )
        cache.clear()
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        elapsed, response = timed(client.post, reverse("verify:upload"), {"file": upload})
        verdict = verdict_of(response.content.decode())
        print(f"    page POST: {elapsed:6.2f} s, HTTP {response.status_code}, verdict {verdict}")
        if with_unbounded:
            print(f"    before, unbounded in one process: {unbounded(path)}")


# -- 3. pyHanko's import ------------------------------------------------------------------------


def bench_preload() -> None:
    from guards import bounded
    from reports.apps import VALIDATION_MODULES

    statement = "import " + ", ".join(VALIDATION_MODULES)
    code = f"import time; s = time.perf_counter(); {statement}; print(time.perf_counter() - s)"
    fresh = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        fresh.append(float(done.stdout))
    child = bounded.run(import_seconds, VALIDATION_MODULES)
    print("3. Importing what the check needs (reports.signing + pyHanko validation)")
    print(f"  fresh interpreter (median of 3)            {ms(statistics.median(fresh))}")
    print(f"  in a child of the preloading forkserver    {ms(child.value)}")


# -- 4. rate limits -----------------------------------------------------------------------------


def bench_rates(client, report) -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    cache.clear()
    QUIET.setLevel(logging.ERROR)
    url = reverse("verify:document", args=[report.verify_token])
    gets = [client.get(url, REMOTE_ADDR=VISITOR).status_code for _ in range(100)]
    posts = [
        client.post(
            reverse("verify:upload"),
            {"file": SimpleUploadedFile("x.pdf", b"not a pdf %d" % i)},
            REMOTE_ADDR=VISITOR,
        ).status_code
        for i in range(20)
    ]
    other = client.get(url, REMOTE_ADDR="203.0.113.6").status_code
    print(
        f"4. Rate limits per address (GET {settings.VERIFY_RATE_GET}, "
        f"POST {settings.VERIFY_RATE_POST}), one address, within a minute"
    )
    print(f"  100 GETs:  {gets.count(200)} × 200, {gets.count(429)} × 429")
    print(f"  20 POSTs:  {posts.count(200)} × 200, {posts.count(429)} × 429")
    print(f"  then a GET from another address: {other}")


# -- 5. failures ----------------------------------------------------------------------------------


def log_rows() -> tuple[int, int, int]:
    """Document log rows of failed checks, counter rows, and the failures they count."""
    from django.db.models import Sum

    from reports.models import DocumentEvent, VerificationFailure

    return (
        DocumentEvent.objects.filter(action=DocumentEvent.Action.VERIFY_FAILED).count(),
        VerificationFailure.objects.count(),
        VerificationFailure.objects.aggregate(total=Sum("count"))["total"] or 0,
    )


def bench_failures() -> None:
    from reports.services.verifying import document_verify

    events, tallies, _ = log_rows()
    start = time.perf_counter()
    for index in range(FAILURES):
        document_verify(b"not a pdf %d" % index, address="198.51.100.99")
    elapsed = time.perf_counter() - start
    new_events, new_tallies, _ = log_rows()
    print(f"5. {FAILURES:,} failed checks from one address ({ms(elapsed / FAILURES)} each)")
    print(
        f"  rows written: {new_events - events} document log + {new_tallies - tallies} "
        f"counter (before: {FAILURES:,} document log rows)"
    )


# -- 6. a real server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(code: Path, port: int, log: Path) -> subprocess.Popen:
    (log.parent / "uploads").mkdir(exist_ok=True)
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=code,
            env={**os.environ, **SERVER_ENV, "DJANGO_UPLOAD_TEMP_DIR": str(log.parent / "uploads")},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Server exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Server did not start within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def rss(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    """The resident memory of `root` and all its descendants (forkserver, bounded children)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, changed = {root}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(rss(pid) for pid in family)


def csrf(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/xac-minh/")
    response = connection.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            if name == "csrftoken":
                return morsel.value
    raise RuntimeError(f"no CSRF cookie (HTTP {response.status})")


def post(port: int, token: str, path: Path, outcomes: list) -> None:
    boundary = "bench" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    start = time.perf_counter()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.request(
            "POST",
            "/xac-minh/",
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": f"csrftoken={token}",
            },
        )
        response = connection.getresponse()
        html = response.read().decode(errors="replace")
        verdict = verdict_of(html) if response.status < 500 else "error"
        outcomes.append((response.status, verdict, time.perf_counter() - start))
    except OSError as error:
        outcomes.append((0, type(error).__name__, time.perf_counter() - start))


def parallel_posts(server: subprocess.Popen, port: int, path: Path) -> str:
    token = csrf(port)
    with contextlib.suppress(OSError):
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # reset VmHWM
    before = rss(server.pid)
    events, tallies, counted = log_rows()
    outcomes: list = []
    threads = [
        threading.Thread(target=post, args=(port, token, path, outcomes)) for _ in range(PARALLEL)
    ]
    peak_tree = 0
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        peak_tree = max(peak_tree, tree_rss(server.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    new_events, new_tallies, new_counted = log_rows()
    statuses = sorted({(status, verdict) for status, verdict, _ in outcomes})
    slowest = max(seconds for _, _, seconds in outcomes)
    return (
        f"{elapsed:6.1f} s (slowest answer {slowest:.1f} s); server RSS {mib(before)} → peak "
        f"{mib(rss(server.pid, 'VmHWM'))}, process tree peak {mib(peak_tree)}; "
        f"answers {statuses}; rows +{new_events - events} log, +{new_tallies - tallies} "
        f"counter (counting +{new_counted - counted})"
    )


def bench_server(work: Path, files: dict[str, Path], before: str | None, before_bomb: bool) -> None:
    big = {label: path for label, path in files.items() if "29 MB" in label}
    codes = [("after", ROOT)]
    if before:
        code = work / "before"
        code.mkdir()
        archive = subprocess.run(
            ["git", "archive", before], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        codes.insert(0, (f"before ({before})", code))
    print(f"6. {PARALLEL} parallel POSTs of each 29 MB file to a real server (runserver)")
    for name, code in codes:
        port = free_port()
        server = start_server(code, port, work / f"server-{port}.log")
        try:
            print(f"  {name}: pid {server.pid}, idle RSS {mib(rss(server.pid))}")
            for label, path in big.items():
                if name.startswith("before") and "bomb" in label and not before_bomb:
                    print(f"    {label}: not sent (8 × ~1.1 GB unbounded; --before-bomb)")
                    continue
                print(f"    {label}: {parallel_posts(server, port, path)}")
        finally:
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", metavar="REF", help="also measure the server at git REF")
    parser.add_argument("--before-bomb", action="store_true", help="send the bomb there too")
    parser.add_argument(
        "--no-unbounded", action="store_true", help="skip the unbounded parses of step 2"
    )
    args = parser.parse_args()

    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="verify-bench-", dir="/tmp"))
    try:
        print(f"Verification benchmark in {work} (temporary SQLite database)")
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"  {os.cpu_count()} CPUs, load average {load} (other work skews the figures)")
        report, final, person = signed_report(work)
        from django.test import Client, override_settings

        client = Client(HTTP_HOST="localhost")
        files = test_files(work, final, report, person)
        print(
            f"  portal ready, report {report.number_text} signed, in {time.perf_counter() - began:.0f} s"
        )
        with override_settings(**SERVER_ENV):
            bench_link(client, report, final)
            bench_files(client, files, with_unbounded=not args.no_unbounded)
        bench_preload()
        bench_rates(client, report)
        bench_failures()
        bench_server(work, files, args.before, args.before_bomb)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Done in {time.perf_counter() - began:.0f} s; temporary files removed.")


if __name__ == "__main__":
    main()
