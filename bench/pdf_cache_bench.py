"""Draft PDF cache benchmark: what a download of the demo's draft report and appendix costs
when nothing changed (a hit), before and after the data-version cache, and after a change
(a miss, made by the job "reports.pdf").

    DJANGO_DEBUG=1 .venv/bin/python bench/pdf_cache_bench.py

A throw-away portal (bench/_demo_portal.py: SQLite, file document cache, no broker, so jobs
run at the commit in this process). Prints, per document, median of RUNS:

1. before: the previous hit path, `report_pdf` / `appendix_pdf` with the HTML-hash cache
   warm (results computed and templates rendered to find the key), time and queries;
2. after, a hit: the data version and the cache lookup alone (`draft_version` +
   `cached_draft_pdf`), and the whole request through the test client (session, access
   checks, audit entry), time and queries;
3. after, a miss: a change (a report section saved), then the download: the request that
   starts the job (which renders at the commit), the job page's redirect and the download;
4. `assessment_results`: computed vs from the cache.

Figures are printed, not checked.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _demo_portal import demo_portal  # noqa: E402

RUNS = 7


def measure(function: Callable[[], object]) -> tuple[float, int]:
    """Median seconds of RUNS calls, and the queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return statistics.median(times), len(queries)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def row(label: str, seconds: float, queries: int | None = None) -> None:
    print(f"  {label:<52} {ms(seconds)}" + ("" if queries is None else f", {queries} queries"))


@contextmanager
def uncached_results() -> Iterator[None]:
    """Results computed on every call, as before the data-version cache."""
    from assessments.selectors import compute_results

    modules = ["reports.documents", "reports.fields", "reports.appendix"]
    modules += ["reports.templatetags.report_content", "reports.services.content"]
    with ExitStack() as stack:
        for module in modules:
            if hasattr(importlib.import_module(module), "assessment_results"):
                stack.enter_context(patch(f"{module}.assessment_results", compute_results))
        yield


def bench_kind(client, report, kind: str, url: str, old: Callable) -> None:
    from reports import documents
    from reports.services import report_section_save

    with uncached_results():
        old(report)  # warms the HTML-hash cache: the previous hit
        before_s, before_q = measure(lambda: old(report))
    response = client.get(url, follow=True)  # the job at the commit, then the download
    assert response.status_code == 200, response.status_code

    def lookup() -> bytes | None:
        return documents.cached_draft_pdf(report, kind, documents.draft_version(report))

    assert lookup() is not None
    lookup_s, lookup_q = measure(lookup)
    request_s, request_q = measure(lambda: client.get(url))

    misses = []
    for edit in range(1, 4):
        section = report.sections.order_by("order").first()
        report_section_save(
            section=section,
            body=f"{section.body}\n\nSửa lần {edit}.",
            by=report.created_by,
            expected_version=section.version,
        )
        start = time.perf_counter()
        response = client.get(url, follow=True)
        misses.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert response.redirect_chain, "a miss goes through the job"
    print(f"\n{kind}")
    row("before, HTML-hash cache hit (results + templates)", before_s, before_q)
    row("after, version + cache lookup", lookup_s, lookup_q)
    row("after, the whole download request (hit)", request_s, request_q)
    row("after a change: job + redirects + download (miss)", statistics.median(misses))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cqtt-pdfcache-") as folder:
        assessment = demo_portal(Path(folder))
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from assessments.selectors import assessment_results, compute_results
        from reports import documents
        from reports.services import report_create

        setup_test_environment()  # the test client's host name
        clerk = get_user_model().objects.get(username="vanthu")
        report = report_create(assessment=assessment, by=clerk)
        report.assessment = assessment
        client = Client()
        client.force_login(clerk)
        args = [assessment.pk, report.pk]
        urls = {
            "report": reverse("reports:pdf", args=args),
            "appendix": reverse("reports:appendix_pdf", args=args),
        }
        old = {"report": documents.report_pdf, "appendix": documents.appendix_pdf}

        print("Draft PDFs of the demo report (xã Nghi Dương), median of", RUNS, "runs")
        for kind, url in urls.items():
            bench_kind(client, report, kind, url, old[kind])
        computed_s, computed_q = measure(lambda: compute_results(assessment))
        cached_s, cached_q = measure(lambda: assessment_results(assessment))
        print("\nassessment_results")
        row("computed", computed_s, computed_q)
        row("from the cache (unchanged data)", cached_s, cached_q)


if __name__ == "__main__":
    main()
