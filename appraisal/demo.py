"""DEMO ONLY: the city's side of `make run` — communes of the demo city at every stage of the
appraisal (fixtures/demo/city.yaml), each brought there through the portal's own services:
scored and approved, its report issued and signed with test certificates, sent, appraised,
asked to explain, voted on by the council and recognised. Refused outside DEBUG (the command)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from appraisal.appraise_services import Asked, appraisal_score_save, explanation_request_create
from appraisal.council_services import (
    recognition_record,
    session_close,
    session_open,
    vote_cast,
)
from appraisal.models import CouncilItem, CouncilVote, Round, Submission
from appraisal.round_services import round_save
from appraisal.submission_services import submission_send
from assessments.demo import DEMO_FILE
from assessments.models import Assessment, City, Commune, Score
from assessments.services import (
    assessment_create,
    commune_create,
    score_approve,
    score_propose,
    user_create,
)
from criteria.models import Criterion
from criteria.rules import RuleKind
from guards.filenames import ascii_words
from guards.yamlfiles import read_yaml
from reports.demo.signing import DEMO_PASSPHRASE, demo_city_signing_setup, demo_signing_setup
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person

CITY_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "city.yaml"

#: how far each commune of the file gets, in order
STAGES = [
    "not_started",
    "self_assessing",
    "report_issued",
    "submitted",
    "appraising",
    "explaining",
    "concluded",
    "recognised",
]
RESULT = "Đã thực hiện đầy đủ theo kế hoạch của xã (dữ liệu mẫu)."
SHORTFALL = "Chưa thực hiện trong kỳ (dữ liệu mẫu)."


def _reached(spec: dict, stage: str) -> bool:
    return STAGES.index(spec["stage"]) >= STAGES.index(stage)


def _proposal(score: Score, points: Decimal | None) -> dict:
    """Full points, or `points` with a shortfall reason (tiers: a ratio that gives them)."""
    criterion = score.criterion
    tiers = criterion.rule == RuleKind.TIERS
    if points is None:
        if tiers:
            return {"result_text": RESULT, "numerator": Decimal(1), "denominator": Decimal(1)}
        return {"result_text": RESULT, "points": criterion.max_points}
    fields: dict = {"result_text": RESULT, "shortfall_reason": SHORTFALL}
    if tiers:
        fields.update(numerator=Decimal(points), denominator=Decimal(1))
    else:
        fields["points"] = Decimal(points)
    return fields


def _people(commune: Commune, password: str) -> dict:
    """A Chủ tịch (the commune's administrator), a Phó Chủ tịch who signs, a văn thư."""
    slug = ascii_words(commune.name).replace("-", "")
    secretariat = commune.units.order_by("order").first()
    people = {
        "chairman": user_create(
            username=f"{slug}_chutich",
            password=password,
            full_name=f"Chủ tịch {commune.name}",
            commune=commune,
            role="leader",
            title=f"Chủ tịch UBND {commune.get_kind_display().lower()}",
            is_commune_admin=True,
        ),
        "signer": user_create(
            username=f"{slug}_lanhdao",
            password=password,
            full_name=f"Phó Chủ tịch {commune.name}",
            commune=commune,
            role="leader",
            title=f"Phó Chủ tịch UBND {commune.get_kind_display().lower()}",
        ),
        "secretary": user_create(
            username=f"{slug}_vanthu",
            password=password,
            full_name=f"Văn thư {commune.name}",
            commune=commune,
            role="secretary",
            unit=secretariat,
            title="Văn thư",
        ),
    }
    commune.report_signer = people["signer"]
    commune.report_authority = "deputy"
    commune.save(update_fields=["report_signer", "report_authority"])
    return people


def _score_and_issue(assessment: Assessment, spec: dict, people: dict) -> None:
    losses = {code: Decimal(str(points)) for code, points in spec.get("losses", {}).items()}
    leader = people["signer"]
    for score in Score.objects.filter(assessment=assessment).select_related("criterion"):
        fields = _proposal(score, losses.get(score.criterion.code))
        score = score_propose(
            score=score, by=leader, expected_version=score.version, submit=True, **fields
        )
        score_approve(score=score, by=leader, expected_version=score.version)
    if not _reached(spec, "report_issued"):
        return
    secretary = people["secretary"]
    report = report_issue(report=report_create(assessment=assessment, by=secretary), by=secretary)
    keys = demo_signing_setup(commune=assessment.commune)
    person = next(key for key in keys if key.owner_id == report.signer_id)
    seal = next(key for key in keys if key.owner_id is None)
    assert report.signer is not None
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=report.signer)
    report_sign_organisation(report=report, key=seal, secret=DEMO_PASSPHRASE, by=secretary)


def _appraise(submission: Submission, spec: dict, appraiser, today: dt.date) -> None:
    differ = spec.get("appraise", {})
    only = spec.get("appraise_only")
    criteria = Criterion.objects.filter(
        criteria_set_id=submission.assessment.criteria_set_id, children__isnull=True
    ).order_by("order", "id")
    for criterion in criteria:
        if only and criterion.code.split(".")[0] not in only:
            continue
        score = Score.objects.get(assessment=submission.assessment, criterion=criterion)
        if criterion.code in differ:
            points, reason = differ[criterion.code]
            appraisal_score_save(
                submission=submission,
                criterion=criterion,
                by=appraiser,
                expected_version=score.version,
                points=Decimal(str(points)),
                reason=reason,
            )
        else:
            appraisal_score_save(
                submission=submission,
                criterion=criterion,
                by=appraiser,
                expected_version=score.version,
                points=None,
                reason="",
                accept=True,
            )
    if "explain" in spec:
        asked = spec["explain"]
        explanation_request_create(
            submission=submission,
            by=appraiser,
            items=[
                Asked(
                    criterion=Criterion.objects.get(
                        criteria_set_id=submission.assessment.criteria_set_id, code=code
                    ),
                    question=question,
                )
                for code, question in asked["items"].items()
            ],
            message=asked["message"],
            deadline=today + dt.timedelta(days=7),
        )


@transaction.atomic
def demo_city_load(*, password: str, path: Path = CITY_FILE, today: dt.date | None = None) -> Round:
    """The demo city's round and communes (see fixtures/demo/city.yaml)."""
    today = today or timezone.localdate()
    spec = read_yaml(path)
    demo = read_yaml(DEMO_FILE)
    units = demo["communes"][0]["units"]
    city = City.objects.get(name=spec["city"])
    demo_city_signing_setup(city=city)
    users = {user.username: user for user in get_user_model().objects.all()}
    template = Assessment.objects.filter(commune__city=city).order_by("pk").first()
    assert template is not None, "load_demo first"
    criteria_set = template.criteria_set
    levels = {level.name: level for level in criteria_set.levels.all()}
    plan = spec["round"]
    round_ = round_save(
        city=city,
        by=users["quantritp"],
        criteria_set=criteria_set,
        year=plan["year"],
        period=plan["period"],
        submission_deadline=today + dt.timedelta(days=plan["deadline_in_days"]),
        min_criterion_share=Decimal(str(plan["min_criterion_share"])),
        condition_provenance=plan.get("condition_provenance", ""),
    )
    appraiser = users["sonoivu"]
    decided: list[Submission] = []
    to_recognise: list[Submission] = []
    papers = spec.get("papers", {})
    for index, item in enumerate(spec["communes"], start=1):
        commune = commune_create(name=item["name"], kind=item["kind"], city=city, units=units)
        people = _people(commune, password)
        if not _reached(item, "self_assessing"):
            continue
        assessment = assessment_create(
            commune=commune,
            criteria_set=criteria_set,
            year=plan["year"],
            period=plan["period"],
            target_level=levels.get(item.get("target", "")),
            plan_number=f"{index}/KH-UBND",
            plan_date=papers.get("plan_date"),
            registration_number=f"{index}/UBND-VP",
            registration_date=papers.get("registration_date"),
        )
        _score_and_issue(assessment, item, people)
        if not _reached(item, "submitted"):
            continue
        submission = submission_send(assessment=assessment, by=people["secretary"])
        if not _reached(item, "appraising"):
            continue
        _appraise(submission, item, appraiser, today)
        if _reached(item, "concluded"):
            decided.append(submission)
        if _reached(item, "recognised"):
            to_recognise.append(submission)
    council = spec["council"]
    members = [users[name] for name in council["members"]]
    chair = members[0]
    session = session_open(
        round_=round_,
        by=chair,
        title=council["title"],
        held_on=today,
        members=members,
        chair=chair,
        submissions=decided,
    )
    against = council.get("against", {})
    for council_item in CouncilItem.objects.filter(session=session).select_related(
        "submission__assessment__commune"
    ):
        name = council_item.submission.assessment.commune.name
        for member in members:
            council_item.refresh_from_db()
            if council_item.result != CouncilItem.Result.PENDING:
                break
            choice = (
                CouncilVote.Choice.AGAINST
                if member.username in against.get(name, [])
                else CouncilVote.Choice.FOR
            )
            vote_cast(item=council_item, by=member, choice=choice)
    session_close(session=session, by=chair)
    if to_recognise:
        recognition_record(
            round_=round_,
            by=users["quantritp"],
            number=spec["recognition"]["number"],
            signed_on=today,
            signer_name="Chủ tịch UBND thành phố (dữ liệu mẫu)",
            submissions=[Submission.objects.get(pk=s.pk) for s in to_recognise],
        )
    return round_
