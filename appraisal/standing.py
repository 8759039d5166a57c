"""Where a submission stands after appraisal: the city's total, the level it reaches, and the
conditions of recognition beyond the total (a minimum share of each criterion's maximum, and
the disqualifiers), all from data: the round's `min_criterion_share`, the criteria set's levels
and its disqualifying adjustments as the city found them (`CityAdjustment`).

`refresh` is called in the same transaction as every change to the city's scores or findings,
so the stored standing (what the dashboard, the ranking and the council read) is never stale;
`ranking` orders a round's submissions by block from those stored figures, in a fixed number
of queries whatever the number of communes.

Ties: communes with the same appraised total share a rank (standard competition ranking:
1, 2, 2, 4) and are listed by name; a commune not yet fully appraised has no rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from appraisal.models import CityAdjustment, Round, Submission
from assessments.models import Score
from assessments.selectors import assessment_results, level_at
from criteria import scoring
from criteria.models import Adjustment, Criterion, Level

HUNDRED = Decimal(100)


def _share(points: Decimal, maximum: Decimal) -> Decimal:
    if not maximum:
        return HUNDRED
    return (points * HUNDRED / maximum).quantize(Decimal("0.1"))


def refresh(submission: Submission) -> Submission:
    """Recompute and store the submission's appraised standing from the city's scores."""
    round_ = submission.round
    assessment = submission.assessment
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    scores = {s.criterion_id: s for s in Score.objects.filter(assessment=assessment)}
    children: dict[int | None, list[Criterion]] = {}
    for criterion in criteria:
        children.setdefault(criterion.parent_id, []).append(criterion)

    def leaves_under(criterion: Criterion) -> list[Criterion]:
        below = children.get(criterion.pk)
        if not below:
            return [criterion]
        return [leaf for child in below for leaf in leaves_under(child)]

    def leaf_result(leaf: Criterion) -> scoring.LeafResult:
        score = scores.get(leaf.pk)
        return scoring.LeafResult(
            max_points=leaf.max_points,
            points=score.appraised_points if score is not None else None,
            excluded=bool(score is not None and score.excluded),
        )

    roots = children.get(None, [])
    all_leaves = [leaf for root in roots for leaf in leaves_under(root)]
    findings = list(
        CityAdjustment.objects.filter(submission=submission, cases__gt=0).select_related(
            "adjustment"
        )
    )
    deducted = sum(
        (
            f.cases * (f.adjustment.points_per_case or Decimal(0))
            for f in findings
            if f.adjustment.kind == Adjustment.Kind.DEDUCTION
        ),
        Decimal(0),
    )
    disqualifiers = [f for f in findings if f.adjustment.kind == Adjustment.Kind.DISQUALIFIER]
    total = scoring.total(
        [leaf_result(leaf) for leaf in all_leaves],
        scale=assessment.criteria_set.scale,
        deductions=deducted,
        disqualified=bool(disqualifiers),
    )
    appraised = sum(
        1
        for leaf in all_leaves
        if (score := scores.get(leaf.pk)) is not None and score.appraised_at is not None
    )
    minimum = round_.min_criterion_share
    per_criterion = []
    for root in roots:
        leaves = [leaf_result(leaf) for leaf in leaves_under(root)]
        counted = [leaf for leaf in leaves if not leaf.excluded]
        points = sum((leaf.points or Decimal(0) for leaf in counted), Decimal(0))
        maximum = sum((leaf.max_points for leaf in counted), Decimal(0))
        share = _share(points, maximum)
        per_criterion.append(
            {
                "code": root.code,
                "title": root.title,
                "points": str(points),
                "max": str(maximum),
                "share": str(share),
                "met": minimum is None or share >= minimum,
            }
        )
    levels = sorted(
        Level.objects.filter(criteria_set_id=assessment.criteria_set_id),
        key=lambda lv: lv.min_points if lv.min_points is not None else Decimal(-1),
    )
    complete = bool(all_leaves) and appraised == len(all_leaves)
    if submission.self_total is None:
        # The commune's own total as its issued report states it (approved points, its own
        # deductions): fixed at the first refresh, when the dossier arrives.
        submission.self_total = assessment_results(assessment).approved.final
    submission.leaf_count = len(all_leaves)
    submission.appraised_count = appraised
    submission.appraised_total = total.final if complete else None
    submission.level_reached = (
        level_at(levels, total.final) if complete and not total.disqualified else None
    )
    submission.conditions = {
        "min_share": None if minimum is None else str(minimum),
        "criteria": per_criterion,
        "disqualifiers": [
            {"title": f.adjustment.title, "cases": f.cases, "note": f.note} for f in disqualifiers
        ],
        "deductions": str(deducted),
    }
    submission.conditions_met = (
        complete and not disqualifiers and all(item["met"] for item in per_criterion)
    )
    submission.save(
        update_fields=[
            "self_total",
            "leaf_count",
            "appraised_count",
            "appraised_total",
            "level_reached",
            "conditions",
            "conditions_met",
        ]
    )
    return submission


@dataclass
class Standing:
    submission: Submission
    rank: int | None = None
    #: the rank in the round before (same block), and the change (positive: moved up)
    previous_rank: int | None = None
    previous_total: Decimal | None = None

    @property
    def change(self) -> int | None:
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def total_change(self) -> Decimal | None:
        total = self.submission.appraised_total
        if total is None or self.previous_total is None:
            return None
        return total - self.previous_total


@dataclass
class Block:
    key: str
    name: str
    rows: list[Standing] = field(default_factory=list)


def round_submissions(round_: Round) -> QuerySet[Submission]:
    # The snapshot (every sub-criterion and evidence file as sent) is the dossier's record,
    # not the ranking's: decoding it for every commune would cost more than the page.
    return (
        Submission.objects.filter(round=round_)
        .select_related("assessment__commune", "assessment__target_level", "level_reached")
        .defer("snapshot")
    )


def _ranked(submissions: list[Submission]) -> list[Standing]:
    """Standard competition ranking by appraised total (ties share a rank, listed by name);
    submissions not fully appraised come last, without a rank."""
    done = sorted(
        (s for s in submissions if s.appraised_total is not None),
        key=lambda s: (-(s.appraised_total or 0), s.assessment.commune.name),
    )
    rows: list[Standing] = []
    for index, submission in enumerate(done):
        same = rows and rows[-1].submission.appraised_total == submission.appraised_total
        rows.append(Standing(submission, rows[-1].rank if same else index + 1))
    rest = sorted(
        (s for s in submissions if s.appraised_total is None),
        key=lambda s: s.assessment.commune.name,
    )
    rows.extend(Standing(s) for s in rest)
    return rows


def ranking(round_: Round) -> list[Block]:
    """The round's submissions ranked within each block of the city, with the change since
    the previous round (same commune, same block). Three queries whatever the city's size."""
    city = round_.city
    blocks = {key: Block(key, name) for key, name in city.blocks()}
    by_block: dict[str, list[Submission]] = {key: [] for key in blocks}
    for submission in round_submissions(round_):
        by_block.setdefault(city.block_of(submission.assessment.commune.kind), []).append(
            submission
        )
    previous: dict[int, tuple[int | None, Decimal | None]] = {}
    if round_.previous_id is not None:
        before: dict[str, list[Submission]] = {}
        for submission in round_submissions(round_.previous):  # type: ignore[arg-type]
            before.setdefault(city.block_of(submission.assessment.commune.kind), []).append(
                submission
            )
        for rows in before.values():
            for row in _ranked(rows):
                commune_id = row.submission.assessment.commune_id
                previous[commune_id] = (row.rank, row.submission.appraised_total)
    for key, submissions in by_block.items():
        block = blocks.setdefault(key, Block(key, key))
        block.rows = _ranked(submissions)
        for row in block.rows:
            row.previous_rank, row.previous_total = previous.get(
                row.submission.assessment.commune_id, (None, None)
            )
    return list(blocks.values())
