"""DEMO ONLY: a previous period with its issued, signed report, and the current period as
leaders find it mid-review (items waiting, one returned, a deadline near, one unit late).

Applied by `manage.py load_demo` after the demo commune is loaded; the tests' fixtures do not
call it (their totals stay those of the seed report). Everything goes through the services a
person's clicks go through, so notices and audit entries are the real ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.demo import DEMO_FILE
from assessments.models import Assessment, Commune, Membership, Score
from assessments.notices import reminders_send
from assessments.services import (
    assessment_create,
    assessment_deadline_set,
    assignment_update,
    score_approve,
    score_propose,
    score_return,
    unit_deadline_set,
)
from criteria.rules import RuleKind
from guards.yamlfiles import read_yaml
from notifications.models import Notification
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import Report
from reports.services.drafting import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person


def _spec(path: Path) -> dict:
    return read_yaml(path)


def _users() -> dict:
    return {user.username: user for user in get_user_model().objects.all()}


def _proposal(score: Score, item: dict | None, result: str) -> dict:
    """The fields of a proposal: full points, or the item's shortfall."""
    criterion = score.criterion
    tiers = criterion.rule == RuleKind.TIERS
    if item is None:
        if tiers:
            return {"result_text": result, "numerator": Decimal(1), "denominator": Decimal(1)}
        return {"result_text": result, "points": criterion.max_points}
    fields: dict = {"result_text": result, "shortfall_reason": item["reason"]}
    if "numerator" in item:
        fields.update(
            numerator=Decimal(item["numerator"]), denominator=Decimal(item["denominator"])
        )
    elif tiers:
        fields.update(numerator=Decimal(item["points"]), denominator=Decimal(1))
    else:
        fields["points"] = Decimal(item["points"])
    return fields


@transaction.atomic
def demo_previous_period(*, path: Path = DEMO_FILE) -> Report | None:
    """The commune's previous period, scored, approved, issued and signed, and linked as the
    current period's `previous`."""
    spec = _spec(path).get("previous_period")
    if not spec:
        return None
    users = _users()
    commune = Commune.objects.get(name=spec["commune"])
    current = Assessment.objects.filter(commune=commune).order_by("-year", "-period", "-pk").first()
    assert current is not None, "load the demo commune first"
    levels = {level.name: level for level in current.criteria_set.levels.all()}
    previous = assessment_create(
        commune=commune,
        criteria_set=current.criteria_set,
        year=spec["year"],
        period=spec["period"],
        target_level=levels.get(spec.get("target_level")),
        registration_number=spec.get("registration_number", ""),
        registration_date=spec.get("registration_date"),
        plan_number=spec.get("plan_number", ""),
        plan_date=spec.get("plan_date"),
    )
    leader = users[spec["signer"]]
    # the same lead and supporting units as now
    now = {a.criterion_id: a for a in current.assignments.prefetch_related("supporting_units")}
    for assignment in previous.assignments.select_related("criterion"):
        same = now.get(assignment.criterion_id)
        if same is not None:
            assignment_update(
                assignment=assignment,
                lead_unit=same.lead_unit,
                supporting_units=list(same.supporting_units.all()),
                by=leader,
            )
    shortfalls = {item["code"]: item for item in spec.get("shortfalls", [])}
    for score in Score.objects.filter(assessment=previous).select_related("criterion"):
        fields = _proposal(score, shortfalls.get(score.criterion.code), spec["result"])
        score = score_propose(
            score=score, by=leader, expected_version=score.version, submit=True, **fields
        )
        score_approve(score=score, by=leader, expected_version=score.version)
    current.previous = previous
    current.save(update_fields=["previous"])

    secretary = users[spec["by"]]
    report = report_create(assessment=previous, by=secretary)
    report = report_issue(report=report, by=secretary)
    keys = demo_signing_setup(commune=commune)
    person = next(key for key in keys if key.owner_id == report.signer_id)
    seal = next(key for key in keys if key.owner_id is None)
    signer = report.signer
    assert signer is not None
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=signer)
    report_sign_organisation(report=report, key=seal, secret=DEMO_PASSPHRASE, by=secretary)
    return report


def _staff_of(assessment: Assessment, score: Score) -> User:
    assignment = assessment.assignments.select_related("lead_unit").get(criterion=score.criterion)
    membership = (
        Membership.objects.filter(
            commune=assessment.commune, unit=assignment.lead_unit, role=Membership.Role.STAFF
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    assert membership is not None, f"no staff leads {score.criterion.code}"
    return membership.user


@transaction.atomic
def demo_review(*, path: Path = DEMO_FILE, today: dt.date | None = None) -> None:
    """Mid-review: some items returned and sent again (waiting in the leaders' queue), one
    returned and not yet edited, the deadline in a few days and one unit past its own."""
    spec = _spec(path).get("review")
    if not spec:
        return
    today = today or timezone.localdate()
    users = _users()
    leader = users[spec["leader"]]
    assessment = (
        Assessment.objects.filter(commune__name=spec["commune"])
        .order_by("-year", "-period", "-pk")
        .first()
    )
    assert assessment is not None
    scores = {
        score.criterion.code: score
        for score in Score.objects.filter(assessment=assessment).select_related("criterion")
    }
    for item in spec.get("resubmitted", []):
        score = scores[item["code"]]
        score = score_return(
            score=score, by=leader, expected_version=score.version, comment=item["comment"]
        )
        score_propose(
            score=score,
            by=_staff_of(assessment, score),
            expected_version=score.version,
            points=score.proposed_points,
            not_arising=score.not_arising,
            numerator=score.numerator,
            denominator=score.denominator,
            result_text=score.result_text + item["edit"],
            shortfall_reason=score.shortfall_reason,
            next_tasks=score.next_tasks,
            submit=True,
        )
    for item in spec.get("returned", []):
        score = scores[item["code"]]
        score_return(
            score=score, by=leader, expected_version=score.version, comment=item["comment"]
        )
    assessment_deadline_set(
        assessment=assessment,
        deadline=today + dt.timedelta(days=spec["deadline_in_days"]),
        by=leader,
        reason=spec.get("deadline_reason", "Theo kế hoạch tự đánh giá của xã."),
    )
    late = spec.get("late_unit")
    if late:
        unit_deadline_set(
            assessment=assessment,
            unit=assessment.commune.units.get(name=late["unit"]),
            deadline=today - dt.timedelta(days=late["days_ago"]),
            reason=late["reason"],
            by=leader,
        )
    # What each person would have read by now: the approvals of the demo's loading are old
    # news; the returns, the deadline and the reminders below are today's.
    Notification.objects.filter(kind=Notification.Kind.APPROVED).update(read_at=timezone.now())
    reminders_send(today=today)
