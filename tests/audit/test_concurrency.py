"""Appends from many threads at once keep one straight chain: numbers without gaps, each
entry linked to the one before, one entry per action that went through.

Run on PostgreSQL too (DATABASE_URL=postgres://…), where the chain head's row lock is what
serialises appends; SQLite serialises writers itself (BEGIN IMMEDIATE)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from assessments.models import Score, ScoreEvent
from assessments.services import score_comment, score_propose, score_submit_many
from audit.models import AuditEntry
from audit.services import audit_record, chain_verify
from tests.audit.conftest import mark, since

A = AuditEntry.Action
THREADS = 8
ROUNDS = 10


def patiently(work, /, **kwargs):
    """Run `work`, again while SQLite says a table is locked: the test database shares one
    in-memory cache between threads, where a writer is refused at once instead of waiting
    out its busy timeout as it does on a file. PostgreSQL waits for row locks itself."""
    for _ in range(500):
        try:
            return work(**kwargs)
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            time.sleep(0.005)
    raise TimeoutError("still locked")


def run_together(work, count: int) -> tuple[list[Exception], float]:
    errors, barrier = [], threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_concurrent_actions_keep_one_straight_chain(demo, leader):
    scores = list(
        Score.objects.filter(assessment=demo.assessment)
        .select_related("criterion")
        .order_by("criterion__order")[:THREADS]
    )
    people = [demo.user(name) for name in ("vhxh", "kinhte", "ttpvhcc", "vanphong")]
    start = mark()

    def work(index):
        person = people[index % len(people)]
        for round_ in range(ROUNDS):
            # An action with its own writes and row locks, then a bare record (a download).
            patiently(
                score_comment, score=scores[index], by=person, comment=f"Góp ý {index}-{round_}"
            )
            patiently(audit_record, action=A.DOWNLOAD, user=leader, summary=f"Tải {index}-{round_}")

    errors, seconds = run_together(work, THREADS)
    entries = since(start)
    comments = ScoreEvent.objects.filter(action=ScoreEvent.Action.COMMENT).count()
    downloads = [e for e in entries if e.action == A.DOWNLOAD]
    assert errors == []
    assert comments == THREADS * ROUNDS and len(downloads) == THREADS * ROUNDS
    assert [e.id for e in entries] == list(range(start + 1, start + 1 + len(entries)))
    assert len([e for e in entries if e.action == A.SCORE_COMMENT]) == comments
    check = chain_verify()
    assert check.ok, check.problem
    print(f"{connection.vendor}: {len(entries)} entries from {THREADS} threads in {seconds:.2f}s")


@pytest.mark.django_db(transaction=True)
def test_submitting_and_commenting_the_same_scores_at_once_do_not_deadlock(demo, own_staff):
    """A unit submits its scores (row locks on them, then the chain's lock, score after
    score) while colleagues comment on the same scores (the chain's lock, then, on
    PostgreSQL, the scores' rows for the foreign-key check at commit). Without the checks
    settled before the chain's lock, PostgreSQL reported a deadlock here every time."""
    codes = ["2.2.b", "1.1.j"]
    points = {"2.2.b": 1, "1.1.j": 3}
    for code in codes:
        score = Score.objects.select_related("criterion").get(
            assessment=demo.assessment, criterion__code=code
        )
        score_propose(
            score=score,
            by=own_staff,
            expected_version=score.version,
            points=Decimal(points[code]),
            result_text="Đã thực hiện.",
        )
    start = mark()

    def load(order):
        return list(
            Score.objects.filter(assessment=demo.assessment, criterion__code__in=codes)
            .select_related("criterion", "assessment")
            .order_by(order)
        )

    def work(index):
        scores = patiently(load, order="-criterion__order" if index % 2 else "criterion__order")
        if index == 0:
            patiently(score_submit_many, scores=scores, by=own_staff)
        else:
            for score in scores:
                patiently(score_comment, score=score, by=own_staff, comment=f"Góp ý {index}")

    errors, _seconds = run_together(work, 4)
    assert errors == []
    entries = since(start)
    assert sorted(e.action for e in entries) == sorted([A.SCORE_SUBMIT] * 2 + [A.SCORE_COMMENT] * 6)
    assert [e.id for e in entries] == list(range(start + 1, start + 1 + len(entries)))
    assert chain_verify().ok
