"""Reads of the city's dashboard: where every commune of a round stands, the communes late
with their dossier, the distribution of appraised totals and the sub-criteria where most
communes lose points. Each read is a fixed number of queries whatever the number of communes
(the pages pin it in tests/appraisal/test_dashboard.py).

Before a submission exists the stage is read off the commune's own data (as
`appraisal.stages` says): no assessment for the round's year and period -> not started; an
assessment without an issued report (or whose issued report was reopened) -> self-assessing;
an issued report not yet sent -> report issued. From the submission on, its stored stage, with
the date of the SubmissionEvent that reached it (the submission's date for "submitted")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, OuterRef, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from appraisal import stages
from appraisal.models import Round, Submission, SubmissionEvent
from assessments.models import Assessment, City, Commune, Score
from criteria.models import Level
from reports.models import Report

#: a commune not submitted is "near the deadline" this many days before it (and after it)
NEAR_DEADLINE_DAYS = 7
#: the histogram's bins, as shares of the criteria set's scale: below 70 %, then 5 % steps
BIN_EDGES = [Decimal(n) for n in (70, 75, 80, 85, 90, 95)]
LOSSES_SHOWN = 10
COLUMN, BAR_MAX, BASELINE = 20, 40, 46  # the histogram's drawing units
PRE_SUBMISSION = (stages.NOT_STARTED, stages.SELF_ASSESSING, stages.REPORT_ISSUED)


def city_rounds(city: City) -> list[Round]:
    """The city's rounds, newest first (the round switcher)."""
    return list(
        Round.objects.filter(city=city)
        .select_related("criteria_set", "previous")
        .order_by("-year", "-period", "-id")
    )


def chosen_round(rounds: list[Round], value: str | None) -> Round | None:
    """The round of `?dot=` among the city's rounds (the latest when not given); 404 for
    anything else: another city's round does not exist here."""
    if not value:
        return rounds[0] if rounds else None
    for round_ in rounds:
        if str(round_.pk) == value.strip():
            return round_
    raise Http404("Không tìm thấy đợt thẩm định.")


@dataclass
class CommuneStage:
    commune: Commune
    stage: str
    since: dt.datetime | None = None
    submission: Submission | None = None

    @property
    def stage_name(self) -> str:
        return stages.STAGE_NAMES[self.stage]

    @property
    def submitted(self) -> bool:
        return self.stage not in PRE_SUBMISSION


@dataclass
class StageRow:
    key: str
    name: str
    communes: list[CommuneStage] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.communes)


def commune_stages(round_: Round) -> list[CommuneStage]:
    """Every commune of the round's city with its stage in the round, by name. Five queries:
    communes, assessments, issued reports, submissions (with the date of their stage)."""
    communes = list(Commune.objects.filter(city_id=round_.city_id).order_by("name", "kind"))
    assessments = dict(
        Assessment.objects.filter(
            commune__city_id=round_.city_id, year=round_.year, period=round_.period
        ).values_list("commune_id", "pk")
    )
    issued = dict(
        Report.objects.filter(
            assessment_id__in=assessments.values(),
            status=Report.Status.ISSUED,
            reopened_at__isnull=True,
        )
        .values("assessment_id")
        .annotate(last=Max("issued_at"))
        .values_list("assessment_id", "last")
    )
    reached = (
        SubmissionEvent.objects.filter(submission=OuterRef("pk"), stage=OuterRef("stage"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    submissions = {
        s.assessment.commune_id: s
        for s in Submission.objects.filter(round=round_)
        .select_related("assessment", "level_reached")
        .defer("snapshot", "conditions")  # the dossier as sent: not the dashboard's
        .annotate(stage_at=Subquery(reached))
    }
    rows = []
    for commune in communes:
        submission = submissions.get(commune.pk)
        if submission is not None:
            since = submission.stage_at or submission.submitted_at  # type: ignore[attr-defined]
            rows.append(CommuneStage(commune, submission.stage, since, submission))
            continue
        assessment_id = assessments.get(commune.pk)
        if assessment_id is None:
            rows.append(CommuneStage(commune, stages.NOT_STARTED))
        elif assessment_id in issued:
            rows.append(CommuneStage(commune, stages.REPORT_ISSUED, issued[assessment_id]))
        else:
            rows.append(CommuneStage(commune, stages.SELF_ASSESSING))
    return rows


def stage_table(rows: list[CommuneStage]) -> list[StageRow]:
    """The progress table: every stage in order, with its communes."""
    table = {key: StageRow(key, name) for key, name in stages.ALL_STAGES}
    for row in rows:
        table[row.stage].communes.append(row)
    return list(table.values())


@dataclass
class Late:
    row: CommuneStage
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def near_deadline(
    round_: Round, rows: list[CommuneStage], today: dt.date | None = None
) -> list[Late]:
    """Communes not submitted when the deadline is at most NEAR_DEADLINE_DAYS away (or
    past), the least advanced first."""
    today = today or timezone.localdate()
    days_left = (round_.submission_deadline - today).days
    if days_left > NEAR_DEADLINE_DAYS:
        return []
    order = {key: index for index, key in enumerate(PRE_SUBMISSION)}
    late = [Late(row, days_left) for row in rows if not row.submitted]
    return sorted(late, key=lambda item: (order[item.row.stage], item.row.commune.name))


@dataclass
class Bin:
    label: str
    low: Decimal | None
    high: Decimal | None  # exclusive, except the last bin which holds the scale itself
    count: int = 0
    level: str = ""
    #: the bar's height in the SVG (0–BAR_MAX units), and its column
    height: int = 0
    index: int = 0

    # The SVG draws each bin in a column COLUMN units wide, bars standing on y = BASELINE.
    @property
    def x(self) -> int:
        return self.index * COLUMN + 2

    @property
    def center(self) -> int:
        return self.index * COLUMN + COLUMN // 2

    @property
    def y(self) -> int:
        return BASELINE - self.height


def histogram(round_: Round, totals: list[Decimal], levels: list[Level] | None = None) -> list[Bin]:
    """Appraised totals in fixed bins (below 70 % of the scale, then 5 % steps up to the
    scale), each named with the level its lower edge reaches."""
    scale = round_.criteria_set.scale
    edges = [scale * share / 100 for share in BIN_EDGES]
    bins = [Bin(f"Dưới {_fmt(edges[0])}", None, edges[0])]
    for low, high in zip(edges, [*edges[1:], scale], strict=True):
        bins.append(Bin(f"{_fmt(low)}–{_fmt(high)}", low, high))
    for total in totals:
        for item in bins:
            if (item.low is None or total >= item.low) and (
                item.high is None or total < item.high or item is bins[-1]
            ):
                item.count += 1
                break
    if levels:
        for item in bins:
            if item.low is not None:
                level = next((lv for lv in levels if lv.contains(item.low)), None)
                item.level = level.name if level else ""
    tallest = max((item.count for item in bins), default=0)
    for index, item in enumerate(bins):
        item.index = index
        item.height = round(item.count * BAR_MAX / tallest) if tallest else 0
    return bins


def _fmt(points: Decimal) -> str:
    text = f"{points.normalize():f}"
    return text.replace(".", ",")


@dataclass
class Loss:
    code: str
    title: str
    max_points: Decimal
    communes: int
    lost: Decimal


def losses(round_: Round, limit: int = LOSSES_SHOWN) -> list[Loss]:
    """The sub-criteria where most of the round's communes got less than the maximum from the
    city, with the points lost in total (one query). Sub-criteria left out as not arising
    ("exclude" policy) lose nothing."""
    rows = (
        Score.objects.filter(
            assessment__submission__round=round_,
            appraised_points__isnull=False,
            appraised_points__lt=F("criterion__max_points"),
        )
        .exclude(not_arising=True, proposed_points__isnull=True)
        .values("criterion_id", "criterion__code", "criterion__title", "criterion__max_points")
        .annotate(
            communes=Count("assessment_id", distinct=True),
            lost=Sum(F("criterion__max_points") - F("appraised_points")),
        )
        .order_by("-communes", "-lost", "criterion__order")[:limit]
    )
    return [
        Loss(
            code=row["criterion__code"],
            title=row["criterion__title"],
            max_points=row["criterion__max_points"],
            communes=row["communes"],
            lost=row["lost"] or Decimal(0),
        )
        for row in rows
    ]


def round_levels(round_: Round) -> list[Level]:
    return list(Level.objects.filter(criteria_set_id=round_.criteria_set_id))


@dataclass
class Overview:
    round: Round
    rows: list[CommuneStage]
    stages: list[StageRow]
    late: list[Late]
    bins: list[Bin]
    losses: list[Loss]
    appraised: int

    @property
    def communes(self) -> int:
        return len(self.rows)

    @property
    def chart_width(self) -> int:
        return len(self.bins) * COLUMN

    @property
    def submitted(self) -> int:
        return sum(1 for row in self.rows if row.submitted)


def overview(round_: Round, today: dt.date | None = None) -> Overview:
    """Everything the dashboard shows about a round (seven queries)."""
    rows = commune_stages(round_)
    totals = [
        row.submission.appraised_total
        for row in rows
        if row.submission is not None and row.submission.appraised_total is not None
    ]
    return Overview(
        round=round_,
        rows=rows,
        stages=stage_table(rows),
        late=near_deadline(round_, rows, today),
        bins=histogram(round_, totals, round_levels(round_)),
        losses=losses(round_),
        appraised=len(totals),
    )


def stage_filter(value: str | None) -> str | None:
    """`?giai-doan=` of the communes list: one of the stages, or None for all."""
    if value and value in stages.STAGE_NAMES:
        return value
    return None
