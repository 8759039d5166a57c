"""Dashboard benchmark: the leaders' overview of a large commune, on SQLite and PostgreSQL.

    DJANGO_DEBUG=1 .venv/bin/python bench/dashboard_bench.py [--db sqlite|postgres|both]
    (or: make bench)

For each database the script runs itself again in a subprocess with DATABASE_URL set before
Django starts: a temporary SQLite file, or the database `cqtt_bench` on the local PostgreSQL
(postgres://postgres@127.0.0.1:5432, trust authentication), created before and dropped after.
The child migrates, then builds a commune larger than any real one:

- a synthetic criteria set of 4 criteria × 6 groups × 10 = 240 leaf sub-criteria (free,
  pass/fail and ratio rules), three levels and a deduction with one case recorded;
- 20 evidence per sub-criterion (4 800), each with one file version and linked to its own
  sub-criterion, every fifth one also to the next sub-criterion. Rows are bulk-created and no
  file is written to disk: the dashboard only counts links, it never opens a file;
- 10 history entries (ScoreEvent) per sub-criterion: proposals and decisions made through the
  real services (90 % approved, 5 % returned, 5 % draft), topped up with comments.

It then times GET of the dashboard as a leader through django.test.Client (one warm-up, then
the median of RUNS requests) next to the login page, a view that touches no table, in the same
process, and prints the query count of each. The child runs with DEBUG off, as in production.
Figures are printed, not checked.
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
from decimal import Decimal as D
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DB = "cqtt_bench"
RUNS = 10
CRITERIA, GROUPS, LEAVES = 4, 6, 10  # 240 leaf sub-criteria
EVIDENCE_PER_LEAF = 20
EVENTS_PER_LEAF = 10
UNITS = [
    "Văn phòng HĐND và UBND",
    "Phòng Kinh tế",
    "Phòng Văn hóa - Xã hội",
    "Trung tâm Phục vụ hành chính công",
    "Ban Chỉ huy Quân sự",
    "Công an xã",
]


# -- the parent: one child per database ----------------------------------------------------------


def run_child(database_url: str, label: str) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "chinhquyen.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "0",
    }
    command = [sys.executable, str(Path(__file__).resolve()), "--child", label]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def bench_sqlite() -> int:
    with tempfile.TemporaryDirectory(prefix="cqtt-bench-") as work:
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


# -- the child: build a large commune, then time the views ----------------------------------------


def build():
    """The large commune; returns (assessment, leader)."""
    from assessments.models import Assessment, Membership, Score, ScoreEvent, Unit
    from assessments.services import (
        adjustment_record,
        assessment_create,
        commune_create,
        score_approve,
        score_propose,
        score_return,
        user_create,
    )
    from criteria.models import Adjustment, CriteriaSet, Level
    from criteria.services import criteria_set_replace_tree
    from criteria.tree import NodeRow
    from evidence.models import Evidence, EvidenceFile, EvidenceLink

    commune = commune_create(
        name="Thử tải",
        units=[{"name": name} for name in UNITS]
        + [{"name": "Các cơ quan, đơn vị", "is_collective": True}],
    )
    units = list(Unit.objects.filter(commune=commune, is_collective=False))
    leader = user_create(
        username="lanhdao",
        password="bench12345",
        full_name="Lãnh đạo Thử",
        commune=commune,
        role=Membership.Role.LEADER,
    )
    staff = [
        user_create(
            username=f"canbo{i}",
            password="bench12345",
            full_name=f"Cán bộ {i}",
            commune=commune,
            role=Membership.Role.STAFF,
            unit=unit,
        )
        for i, unit in enumerate(units, start=1)
    ]

    leaf_count = CRITERIA * GROUPS * LEAVES
    criteria_set = CriteriaSet.objects.create(title="Bộ tiêu chí thử tải", scale=D(leaf_count))
    rows, n = [], 2
    for i in range(1, CRITERIA + 1):
        rows.append(NodeRow(n, f"{i}", f"Tiêu chí {i}", D(GROUPS * LEAVES)))
        n += 1
        for j in range(1, GROUPS + 1):
            rows.append(NodeRow(n, f"{i}.{j}", f"Nhóm {i}.{j}", D(LEAVES)))
            n += 1
            for k in range(1, LEAVES + 1):
                rule = {0: "pass_fail", 1: "tiers"}.get(k % 5, "free")
                rows.append(
                    NodeRow(
                        n,
                        f"{i}.{j}.{k}",
                        f"Tiêu chí thành phần {i}.{j}.{k} của bộ thử tải",
                        D(1),
                        default_lead_unit=(UNITS + ["Các cơ quan, đơn vị"])[n % 7],
                        rule=rule,
                        tiers="100:1; 0:0" if rule == "tiers" else "",
                    )
                )
                n += 1
    criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)
    scale = D(leaf_count)
    Level.objects.bulk_create(
        [
            Level(criteria_set=criteria_set, name="mức 1", max_points_exclusive=scale * D("0.85")),
            Level(
                criteria_set=criteria_set,
                name="mức 2",
                min_points=scale * D("0.85"),
                max_points_exclusive=scale * D("0.9"),
            ),
            Level(criteria_set=criteria_set, name="mức 3", min_points=scale * D("0.9")),
        ]
    )
    deduction = Adjustment.objects.create(
        criteria_set=criteria_set,
        kind=Adjustment.Kind.DEDUCTION,
        title="Cán bộ bị kỷ luật khiển trách",
        points_per_case=D(3),
    )
    assessment = assessment_create(
        commune=commune,
        criteria_set=criteria_set,
        year=2026,
        period=Assessment.Period.FULL_YEAR,
        target_level=criteria_set.levels.get(name="mức 2"),
    )
    adjustment_record(assessment=assessment, adjustment=deduction, cases=1, note="", by=leader)

    # Proposals and decisions through the real services.
    scores = list(Score.objects.filter(assessment=assessment).select_related("criterion"))
    for index, score in enumerate(scores):
        criterion = score.criterion
        if criterion.rule == "tiers":
            fields = {"numerator": D(100), "denominator": D(100)}
        else:
            fields = {"points": criterion.max_points if index % 4 else D(0)}
        if fields.get("points") == D(0):
            fields["shortfall_reason"] = "Chưa thực hiện trong kỳ."
        fields["result_text"] = "Đã thực hiện theo kế hoạch."
        submit = index % 20 != 19  # 5 % stay drafts
        score = score_propose(
            score=score, by=leader, expected_version=score.version, submit=submit, **fields
        )
        if not submit:
            continue
        if index % 20 == 18:  # 5 % returned
            score_return(score=score, by=leader, expected_version=score.version, comment="Bổ sung.")
        else:
            score_approve(score=score, by=leader, expected_version=score.version)
    # ...topped up to EVENTS_PER_LEAF history entries with comments.
    existing = {s.pk: s.events.count() for s in scores}
    ScoreEvent.objects.bulk_create(
        ScoreEvent(
            score=score,
            action=ScoreEvent.Action.COMMENT,
            status=score.status,
            comment=f"Góp ý số {i}",
            user=staff[i % len(staff)],
        )
        for score in scores
        for i in range(EVENTS_PER_LEAF - existing[score.pk])
    )

    # Evidence: rows only, no files on disk (the dashboard counts links, never opens files).
    leaves = [score.criterion for score in scores]
    evidence = Evidence.objects.bulk_create(
        Evidence(
            assessment=assessment,
            criterion=criterion,
            sequence=seq,
            code=f"H{criterion.code}.{seq:02d}",
            title=f"Văn bản minh chứng {seq} của {criterion.code}",
            doc_number=f"{seq}/KH-UBND",
            search_text=f"van ban minh chung {seq} {criterion.code}",
            created_by=leader,
        )
        for criterion in leaves
        for seq in range(1, EVIDENCE_PER_LEAF + 1)
    )
    files = EvidenceFile.objects.bulk_create(
        EvidenceFile(
            evidence=item,
            version=1,
            file=f"{assessment.pk}/bench-{item.pk}",
            original_name=f"{item.code}.pdf",
            size=1024,
            sha256=f"{item.pk:064x}",
            kind=EvidenceFile.Kind.PDF,
            content_type="application/pdf",
            uploaded_by=leader,
        )
        for item in evidence
    )
    for item, version in zip(evidence, files, strict=True):
        item.current_file = version
    Evidence.objects.bulk_update(evidence, ["current_file"], batch_size=500)
    following = {a.pk: b for a, b in zip(leaves, leaves[1:] + leaves[:1], strict=True)}
    EvidenceLink.objects.bulk_create(
        [
            EvidenceLink(evidence=item, criterion_id=item.criterion_id, linked_by=leader)
            for item in evidence
        ]
        + [
            EvidenceLink(evidence=item, criterion=following[item.criterion_id], linked_by=leader)
            for item in evidence[::5]
        ],
        batch_size=1000,
    )
    return assessment, leader


def time_get(client, url: str, runs: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: templates compiled, connection open
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.content)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Counted now: the next request empties the connection's query log.
    query_count = len(queries)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return timings, query_count, size


def child(label: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from assessments.models import ScoreEvent
    from evidence.models import Evidence, EvidenceLink

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    assessment, leader = build()
    built = time.perf_counter()

    leader_client = Client()
    leader_client.force_login(leader)
    anonymous = Client()
    dashboard = reverse("reports:dashboard", args=[assessment.pk])
    rows = [
        ("dashboard (leader)", *time_get(leader_client, dashboard, RUNS)),
        ("login page (anonymous)", *time_get(anonymous, reverse("login"), RUNS)),
    ]

    leaves = assessment.scores.count()
    version = connection.Database.sqlite_version if connection.vendor == "sqlite" else ""
    if connection.vendor == "postgresql":
        version = f"{connection.pg_version // 10000}"
    print(f"\n== {label} {version}")
    print(
        f"   {leaves} sub-criteria · {Evidence.objects.count()} evidence · "
        f"{EvidenceLink.objects.count()} evidence links · {ScoreEvent.objects.count()} score events"
    )
    print(f"   migrate {migrated - started:.1f} s, build data {built - migrated:.1f} s")
    print(f"   {'view':<24}{'median ms':>10}{'min ms':>9}{'max ms':>9}{'queries':>9}{'kB':>7}")
    for name, timings, queries, size in rows:
        print(
            f"   {name:<24}{statistics.median(timings):>10.1f}{min(timings):>9.1f}"
            f"{max(timings):>9.1f}{queries:>9}{size / 1024:>7.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
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
