"""City benchmark: the city's dashboard, ranking and exports for a 114-commune city on
PostgreSQL (or SQLite), against a trivial view, with query counts at 12 and 114 communes.

    DJANGO_DEBUG=1 .venv/bin/python bench/city_bench.py [--db sqlite|postgres|both]

As bench/dashboard_bench.py: for each database the script runs itself again in a subprocess
with DATABASE_URL set before Django starts (a temporary SQLite file, or the scratch database
`cqtt_city_bench` on the local PostgreSQL, postgres://postgres@127.0.0.1:5432, created before
and dropped after). The child migrates, then `make_city` builds two synthetic cities: 12
communes and 114 (Hải Phòng's 45 phường / 67 xã / 2 đặc khu), each with a round and the round
before, every commune scored, ~80 % submitted at mixed stages, the standing refreshed.

It times GET of each page as the city's appraiser through django.test.Client (one warm-up,
then the median of RUNS requests) next to the login page (a view that reads no table), and
prints the query count of each at 12 and at 114 communes; the two XLSX exports are jobs,
timed as the POST that starts one plus the job itself (run at the commit, without a broker). DEBUG off, as in production. Figures are printed, not checked (the pages' query
counts are pinned in tests/appraisal/test_dashboard.py).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DB = "cqtt_city_bench"
RUNS = 10
SIZES = (12, 114)
PAGES = [
    ("dashboard", "appraisal:dashboard"),
    ("communes (all)", "appraisal:communes"),
    ("ranking", "appraisal:ranking"),
]
# The exports are jobs: POST starts one, which (no broker here) runs in this process at the
# commit, so the time and queries are the request's and the job's together.
EXPORTS = [
    ("ranking XLSX", "appraisal:ranking_xlsx"),
    ("results XLSX", "appraisal:results_xlsx"),
]


def run_child(database_url: str, label: str) -> int:
    with tempfile.TemporaryDirectory(prefix="cqtt-city-bench-media-") as media:
        return _run_child(database_url, label, media)


def _run_child(database_url: str, label: str, media: str) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_MEDIA_ROOT": media,
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--child", label]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def bench_sqlite() -> int:
    with tempfile.TemporaryDirectory(prefix="cqtt-city-bench-") as work:
        return run_child(f"sqlite:///{Path(work) / 'bench.sqlite3'}", "SQLite")


def postgres_admin(statement: str) -> None:
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5) as db:
        db.execute(statement)


def bench_postgres(required: bool) -> int:
    try:
        postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")
        postgres_admin(f"CREATE DATABASE {POSTGRES_DB}")
    except psycopg.OperationalError as error:
        print(f"\n== PostgreSQL: not reachable at {POSTGRES_SERVER} ({error}); skipped.")
        return 1 if required else 0
    try:
        return run_child(f"{POSTGRES_SERVER}/{POSTGRES_DB}", "PostgreSQL")
    finally:
        postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DB} WITH (FORCE)")


def time_get(client, url: str, runs: int, method: str = "get") -> tuple[list[float], int, int]:
    """GET a page (200), or POST an export (302 to its job, done at the commit: its file's
    size is the size reported)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobs.models import Job

    request = getattr(client, method)
    expected = 200 if method == "get" else 302
    response = request(url)  # warm-up: templates compiled, connection open
    assert response.status_code == expected, (url, response.status_code)
    if method == "get":
        size = len(response.content)
    else:
        job = Job.objects.order_by("-created_at").first()
        assert job is not None and job.state == Job.State.DONE, (url, job and job.error)
        size = job.result_file.size
    with CaptureQueriesContext(connection) as queries:
        request(url)
    query_count = len(queries)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = request(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expected
    return timings, query_count, size


def child(label: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import TwoFactorRule
    from appraisal.bulk_city import city_make
    from assessments.models import Score

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    made = {}
    build_times = {}
    for size in SIZES:
        before = time.perf_counter()
        made[size] = city_make(communes=size, seed=1, city_name=f"Thành phố {size} xã")
        build_times[size] = time.perf_counter() - before

    # The city's roles need the second factor by default; the pages are measured, not the
    # login, so the appraisers' rule is relaxed in this throw-away database.
    TwoFactorRule.objects.update_or_create(role_key="appraiser", defaults={"required": False})
    User = get_user_model()
    results: dict[str, dict[int, tuple[list[float], int, int]]] = {}
    for size, city in made.items():
        client = Client()
        client.force_login(User.objects.get(username=f"tp{city.city.pk}-thamdinh"))
        for name, url_name in PAGES:
            url = reverse(url_name, args=[city.city.pk])
            results.setdefault(name, {})[size] = time_get(client, url, RUNS)
        for name, url_name in EXPORTS:
            url = reverse(url_name, args=[city.city.pk])
            results.setdefault(name, {})[size] = time_get(client, url, RUNS, method="post")
    login = time_get(Client(), reverse("login"), RUNS)

    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else ""
    if connection.vendor == "postgresql":
        version = f"{connection.pg_version // 10000}"
    print(f"\n== {label} {version}")
    print(f"   {Score.objects.count()} scores in both cities; migrate {migrated - started:.1f} s")
    for size, city in made.items():
        print(
            f"   make_city --communes {size}: {build_times[size]:.1f} s "
            f"({city.submissions} submissions, {city.evidence} evidence files)"
        )
    head = f"   {'view':<18}"
    for size in SIZES:
        head += f"{f'median ms @{size}':>16}{f'queries @{size}':>13}"
    print(head + f"{'kB @114':>9}")
    for name, by_size in results.items():
        line = f"   {name:<18}"
        for size in SIZES:
            timings, queries, _size = by_size[size]
            line += f"{statistics.median(timings):>16.1f}{queries:>13}"
        print(line + f"{by_size[SIZES[-1]][2] / 1024:>9.0f}")
    timings, queries, size = login
    print(f"   {'login (anonymous)':<18}{statistics.median(timings):>16.1f}{queries:>13}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    print(f"Median of {RUNS} requests after one warm-up; DEBUG off; same process per database.")
    status = 0
    if args.db in ("sqlite", "both"):
        status |= bench_sqlite()
    if args.db in ("postgres", "both"):
        status |= bench_postgres(required=args.db == "postgres")
    return status


if __name__ == "__main__":
    sys.exit(main())
