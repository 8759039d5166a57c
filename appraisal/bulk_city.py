"""A synthetic city for benchmarks and tests (`manage.py make_city`): communes in the city's
blocks (Hải Phòng's 45 phường / 67 xã / 2 đặc khu, scaled), one assessment each in the current
round and one in the round before, scores proposed, approved and appraised with a realistic
spread, issued reports, submissions at every stage with their events, a few evidence files,
and the standing refreshed. Rows are bulk-created: 114 communes take seconds on SQLite.

Never used by the portal itself; the data is plainly synthetic ("Phường Thử 001")."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from appraisal import standing
from appraisal.models import Round, Submission, SubmissionEvent
from assessments.models import (
    Assessment,
    Assignment,
    City,
    CityMembership,
    Commune,
    Membership,
    Score,
)
from assessments.services import city_get_or_create
from criteria.models import CriteriaSet, Criterion, Level
from criteria.services import criteria_set_load_yaml
from evidence.models import Evidence, EvidenceFile, EvidenceLink
from guards.storage import get_evidence_storage
from guards.versions import bump_all
from reports.models import Report

CRITERIA_FILE = Path(settings.BASE_DIR) / "fixtures" / "criteria" / "hai-phong-5049-draft.yaml"
SHARES = {"phuong": 45, "xa": 67, "dac_khu": 2}  # Hải Phòng after 1 July 2025
PASSWORD = "demo12345"
Stage = Submission.Stage
# Share of communes at each stage of the current round (the rest: recognised).
STAGE_MIX = [
    ("not_started", 4),
    ("self_assessing", 8),
    ("report_issued", 8),
    (Stage.SUBMITTED, 10),
    (Stage.APPRAISING, 15),
    (Stage.EXPLAINING, 8),
    (Stage.CONCLUDED, 20),
    (Stage.NOT_RECOGNISED, 5),
    (Stage.RECOGNISED, 22),
]
# The events a submission went through to reach its stage.
PATHS = {
    Stage.SUBMITTED: [Stage.SUBMITTED],
    Stage.APPRAISING: [Stage.SUBMITTED, Stage.APPRAISING],
    Stage.EXPLAINING: [Stage.SUBMITTED, Stage.APPRAISING, Stage.EXPLAINING],
    Stage.CONCLUDED: [Stage.SUBMITTED, Stage.APPRAISING, Stage.CONCLUDED],
    Stage.RECOGNISED: [Stage.SUBMITTED, Stage.APPRAISING, Stage.CONCLUDED, Stage.RECOGNISED],
    Stage.NOT_RECOGNISED: [
        Stage.SUBMITTED,
        Stage.APPRAISING,
        Stage.CONCLUDED,
        Stage.NOT_RECOGNISED,
    ],
}
APPRAISED_STAGES = {Stage.CONCLUDED, Stage.RECOGNISED, Stage.NOT_RECOGNISED, Stage.EXPLAINING}
# A one-page PDF small enough to write for every evidence row.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Made:
    city: City
    round: Round
    previous: Round
    communes: int
    submissions: int
    scores: int
    evidence: int


def block_sizes(communes: int) -> dict[str, int]:
    """Hải Phòng's composition scaled to `communes` (at least one of each kind from 3 up)."""
    total = sum(SHARES.values())
    sizes = {kind: round(communes * share / total) for kind, share in SHARES.items()}
    if communes >= 3:
        sizes = {kind: max(size, 1) for kind, size in sizes.items()}
    sizes["xa"] += communes - sum(sizes.values())
    return sizes


def criteria_set() -> CriteriaSet:
    """The Hải Phòng criteria set already in the database (the demo's), else loaded."""
    existing = (
        CriteriaSet.objects.filter(decision_number="5049/QĐ-UBND").order_by("-version", "-pk")
    ).first()
    return existing or criteria_set_load_yaml(path=CRITERIA_FILE)


def _stage_list(rng: random.Random, communes: int) -> list[str]:
    weights = [weight for _stage, weight in STAGE_MIX]
    chosen = [stage for stage, _w in STAGE_MIX]
    # Every stage present from 9 communes on, then the rest drawn by weight.
    fixed = chosen[:communes]
    drawn = rng.choices(chosen, weights=weights, k=max(communes - len(fixed), 0))
    stages = fixed + drawn
    rng.shuffle(stages)
    return stages


def _lower(rng: random.Random, maximum: Decimal) -> Decimal:
    """Points below the maximum, on a quarter-point step."""
    share = Decimal(rng.choice([0, 25, 50, 75])) / 100
    return (maximum * share / Decimal("0.25")).quantize(Decimal(1)) * Decimal("0.25")


@transaction.atomic
def city_make(
    *, communes: int = 114, seed: int = 1, city_name: str = "Hải Phòng", year: int | None = None
) -> Made:
    """Make the synthetic city; refused (ValueError) when its round of `year` exists."""
    rng = random.Random(seed)
    year = year or timezone.localdate().year
    city = city_get_or_create(city_name)
    if Round.objects.filter(city=city, year=year, period=Assessment.Period.FULL_YEAR).exists():
        raise ValueError(f"{city} đã có đợt thẩm định cả năm {year}.")
    cset = criteria_set()
    criteria = list(Criterion.objects.filter(criteria_set=cset).order_by("order", "id"))
    parents = {c.parent_id for c in criteria}
    leaves = [c for c in criteria if c.pk not in parents]
    levels = sorted(
        Level.objects.filter(criteria_set=cset),
        key=lambda lv: lv.min_points if lv.min_points is not None else Decimal(-1),
    )
    today = timezone.localdate()
    now = timezone.now()
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once for every synthetic account
    slug = f"tp{city.pk}"

    appraiser, _ = User.objects.get_or_create(
        username=f"{slug}-thamdinh",
        defaults={"first_name": "Chuyên viên", "last_name": "Thử", "password": password},
    )
    CityMembership.objects.get_or_create(
        user=appraiser, defaults={"city": city, "role": CityMembership.Role.APPRAISER}
    )

    # Communes, each with one secretary (the submitter).
    kinds = [kind for kind, size in block_sizes(communes).items() for _ in range(size)]
    offset = Commune.objects.filter(city=city).count()
    made = Commune.objects.bulk_create(
        Commune(city=city, kind=kind, name=f"Thử {offset + index:03d}")
        for index, kind in enumerate(kinds, start=1)
    )
    users = User.objects.bulk_create(
        User(username=f"{slug}-vt{offset + index:03d}", password=password, first_name="Văn thư")
        for index in range(1, len(made) + 1)
    )
    Membership.objects.bulk_create(
        Membership(user=user, commune=commune, role=Membership.Role.SECRETARY)
        for user, commune in zip(users, made, strict=True)
    )
    secretary = {commune.pk: user for commune, user in zip(made, users, strict=True)}

    previous_round = Round.objects.create(
        city=city,
        criteria_set=cset,
        year=year - 1,
        period=Assessment.Period.FULL_YEAR,
        submission_deadline=dt.date(year - 1, 11, 30),
    )
    current_round = Round.objects.create(
        city=city,
        criteria_set=cset,
        year=year,
        period=Assessment.Period.FULL_YEAR,
        submission_deadline=today + dt.timedelta(days=5),
        min_criterion_share=Decimal(50),
        previous=previous_round,
    )

    stage_of = dict(zip((c.pk for c in made), _stage_list(rng, len(made)), strict=True))
    target = {c.pk: rng.choice(levels[1:] or levels) for c in made}

    # The previous round: every commune concluded, with its stored standing.
    before = Assessment.objects.bulk_create(
        Assessment(
            commune=c,
            criteria_set=cset,
            year=year - 1,
            period=Assessment.Period.FULL_YEAR,
            status=Assessment.Status.FROZEN,
            target_level=target[c.pk],
        )
        for c in made
    )
    before_reports = _reports(before, secretary, now - dt.timedelta(days=365))
    before_subs = []
    for assessment, report in zip(before, before_reports, strict=True):
        total = Decimal(rng.randint(7000, 9900)) / 100
        before_subs.append(
            Submission(
                round=previous_round,
                assessment=assessment,
                report=report,
                stage=Stage.RECOGNISED,
                submitted_by=secretary[assessment.commune_id],
                submitted_at=now - dt.timedelta(days=360),
                appraised_total=total,
                self_total=min(total + Decimal(rng.randint(0, 400)) / 100, Decimal(100)),
                level_reached=standing.level_at(levels, total),
                appraised_count=len(leaves),
                leaf_count=len(leaves),
                conditions_met=True,
            )
        )
    Submission.objects.bulk_create(before_subs)

    # The current round.
    current = [c for c in made if stage_of[c.pk] != "not_started"]
    assessments = Assessment.objects.bulk_create(
        Assessment(
            commune=c,
            criteria_set=cset,
            year=year,
            period=Assessment.Period.FULL_YEAR,
            status=(
                Assessment.Status.OPEN
                if stage_of[c.pk] == "self_assessing"
                else Assessment.Status.FROZEN
            ),
            target_level=target[c.pk],
        )
        for c in current
    )
    Assignment.objects.bulk_create(
        Assignment(assessment=a, criterion=leaf) for a in assessments for leaf in leaves
    )
    scores = []
    for assessment in assessments:
        stage = stage_of[assessment.commune_id]
        weak = rng.random() * 0.3  # how often this commune falls short
        for leaf in leaves:
            proposed = leaf.max_points if rng.random() > weak / 2 else _lower(rng, leaf.max_points)
            appraised = None
            if stage in APPRAISED_STAGES or (stage == Stage.APPRAISING and rng.random() < 0.6):
                appraised = proposed if rng.random() > weak else _lower(rng, proposed)
            scores.append(
                Score(
                    assessment=assessment,
                    criterion=leaf,
                    status=Score.Status.APPROVED,
                    proposed_points=proposed,
                    proposed_by=secretary[assessment.commune_id],
                    proposed_at=now,
                    leader_points=proposed,
                    leader_by=secretary[assessment.commune_id],
                    leader_at=now,
                    appraised_points=appraised,
                    appraised_reason="" if appraised == proposed else "Chưa đủ minh chứng.",
                    appraised_by=appraiser if appraised is not None else None,
                    appraised_at=now if appraised is not None else None,
                )
            )
    Score.objects.bulk_create(scores, batch_size=2000)
    evidence = _evidence(assessments, leaves, secretary, rng)

    issued = [a for a in assessments if stage_of[a.commune_id] != "self_assessing"]
    reports = _reports(issued, secretary, now - dt.timedelta(days=20))
    self_totals: dict[int, Decimal] = {}
    # A snapshot of the size the real one has (every sub-criterion's points, evidence files
    # with their hashes), so that pages which must not read it are measured with it there.
    sent: dict[int, list[dict]] = {}
    for score in scores:
        self_totals[score.assessment_id] = (
            self_totals.get(score.assessment_id, Decimal(0)) + score.leader_points
        )
        sent.setdefault(score.assessment_id, []).append(
            {
                "code": score.criterion.code,
                "proposed": str(score.proposed_points),
                "leader": str(score.leader_points),
                "evidence": [
                    {"code": f"H{score.criterion.code}.{n:02d}", "sha256": "0" * 64}
                    for n in range(1, 4)
                ],
            }
        )
    submissions = Submission.objects.bulk_create(
        Submission(
            round=current_round,
            assessment=assessment,
            report=report,
            stage=stage_of[assessment.commune_id],
            submitted_by=secretary[assessment.commune_id],
            submitted_at=now - dt.timedelta(days=rng.randint(2, 15)),
            self_total=self_totals[assessment.pk],
            snapshot={"scores": sent[assessment.pk]},
        )
        for assessment, report in zip(issued, reports, strict=True)
        if stage_of[assessment.commune_id] in PATHS
    )
    events = []
    for submission in submissions:
        for step, stage in enumerate(PATHS[submission.stage]):
            events.append(
                SubmissionEvent(
                    submission=submission,
                    stage=stage,
                    user=submission.submitted_by if step == 0 else appraiser,
                )
            )
    SubmissionEvent.objects.bulk_create(events)
    for submission in Submission.objects.filter(round=current_round).select_related(
        "round", "assessment__criteria_set"
    ):
        standing.refresh(submission)
    bump_all()  # bulk writes send no signal (guards/versions.py)
    return Made(
        city=city,
        round=current_round,
        previous=previous_round,
        communes=len(made),
        submissions=len(submissions),
        scores=len(scores),
        evidence=evidence,
    )


def _reports(
    assessments: list[Assessment], secretary: dict[int, object], at: dt.datetime
) -> list[Report]:
    bump_all()
    return Report.objects.bulk_create(
        Report(
            assessment=a,
            kind=Report.Kind.ANNUAL,
            status=Report.Status.ISSUED,
            summary=f"Kết quả xây dựng chính quyền thân thiện năm {a.year}",
            number=1,
            issue_date=at.date(),
            issued_at=at,
            issued_by=secretary[a.commune_id],
            recipients="Sở Nội vụ thành phố;\nLưu: VT.",
            created_by=secretary[a.commune_id],
        )
        for a in assessments
    )


def _evidence(
    assessments: list[Assessment], leaves: list[Criterion], secretary: dict, rng: random.Random
) -> int:
    """Three evidence files per assessment, each a tiny real PDF written to the evidence
    storage, linked to its sub-criterion."""
    storage = get_evidence_storage()
    rows = []
    for assessment in assessments:
        for sequence, leaf in enumerate(rng.sample(leaves, k=min(3, len(leaves))), start=1):
            rows.append(
                Evidence(
                    assessment=assessment,
                    criterion=leaf,
                    sequence=sequence,
                    code=f"H{leaf.code}.{sequence:02d}",
                    title=f"Văn bản minh chứng {sequence} của {leaf.code}",
                    search_text=f"van ban minh chung {sequence} {leaf.code}",
                    created_by=secretary[assessment.commune_id],
                )
            )
    rows = Evidence.objects.bulk_create(rows)
    digest = hashlib.sha256(TINY_PDF).hexdigest()
    files = []
    for item in rows:
        name = storage.save(f"{item.assessment_id}/make-city-{item.pk}", ContentFile(TINY_PDF))
        files.append(
            EvidenceFile(
                evidence=item,
                version=1,
                file=name,
                original_name=f"{item.code}.pdf",
                size=len(TINY_PDF),
                sha256=digest,
                kind=EvidenceFile.Kind.PDF,
                content_type="application/pdf",
                uploaded_by=secretary[item.assessment.commune_id],
            )
        )
    files = EvidenceFile.objects.bulk_create(files)
    for item, version in zip(rows, files, strict=True):
        item.current_file = version
    Evidence.objects.bulk_update(rows, ["current_file"], batch_size=500)
    EvidenceLink.objects.bulk_create(
        EvidenceLink(evidence=item, criterion_id=item.criterion_id, linked_by=item.created_by)
        for item in rows
    )
    bump_all()
    return len(rows)
