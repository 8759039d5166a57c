"""Reads that join several tables, shared by pages and (later) reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import (
    CITY_SCORE_ACTIONS,
    AdjustmentEntry,
    Assessment,
    Assignment,
    Score,
    ScoreEvent,
    Unit,
    UnitDeadline,
)
from criteria import scoring
from criteria.models import Adjustment, Criterion, Level
from criteria.rules import fmt_points
from guards.versions import code_hash, data_version


@dataclass
class TreeNode:
    criterion: Criterion
    depth: int
    assignment: Assignment | None = None
    children: list[TreeNode] = field(default_factory=list)
    supporting: list[Unit] = field(default_factory=list)
    #: sum of the maximum points of the leaves below that are kept by the unit filter
    shown_points: Decimal = Decimal(0)
    shown_leaves: int = 0
    is_own: bool = False
    #: a leaf's score; `points` is what counts now (`Score.points`), summed over the shown
    #: leaves below a parent (not scored yet counts 0)
    score: Score | None = None
    points: Decimal = Decimal(0)

    @property
    def is_leaf(self) -> bool:
        return self.assignment is not None

    def walk(self) -> Iterator[TreeNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class AssessmentTree:
    roots: list[TreeNode]
    total_points: Decimal
    shown_points: Decimal
    leaf_count: int
    shown_leaves: int
    unassigned: int
    points: Decimal = Decimal(0)

    def rows(self) -> Iterator[TreeNode]:
        for root in self.roots:
            yield from root.walk()


def assessment_tree(
    assessment: Assessment, *, unit: Unit | None = None, own_unit: int | None = None
) -> AssessmentTree:
    """The criteria tree of an assessment with each leaf's lead and supporting units.

    Four queries whatever the size of the tree (criteria, assignments, supporting units,
    scores). With `unit`, only the leaves that unit leads or supports are kept (with their
    ancestors) and totals count those leaves only. Each leaf carries its score (status and
    the points that count now), each parent the sum of its shown leaves' points.
    """
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    assignments = {
        a.criterion_id: a
        for a in Assignment.objects.filter(assessment=assessment)
        .select_related("lead_unit")
        .prefetch_related(Prefetch("supporting_units", queryset=Unit.objects.order_by("order")))
    }
    scores = {s.criterion_id: s for s in Score.objects.filter(assessment=assessment).order_by()}
    nodes = {
        c.pk: TreeNode(
            criterion=c, depth=0, assignment=assignments.get(c.pk), score=scores.get(c.pk)
        )
        for c in criteria
    }
    roots = []
    for c in criteria:
        node = nodes[c.pk]
        if c.parent_id is None:
            roots.append(node)
        else:
            nodes[c.parent_id].children.append(node)

    def keep(node: TreeNode, depth: int) -> bool:
        node.depth = depth
        if node.children:
            # A parent's leaves are assigned; the parent itself has no assignment.
            node.assignment = None
            node.children = [child for child in node.children if keep(child, depth + 1)]
            node.shown_points = sum((child.shown_points for child in node.children), Decimal(0))
            node.shown_leaves = sum(child.shown_leaves for child in node.children)
            node.points = sum((child.points for child in node.children), Decimal(0))
            node.is_own = any(child.is_own for child in node.children)
            return bool(node.children) or unit is None
        node.points = (node.score.points if node.score else None) or Decimal(0)
        assignment = node.assignment
        if assignment is None:
            return unit is None
        node.supporting = list(assignment.supporting_units.all())
        node.is_own = assignment.concerns(own_unit)
        if unit is not None and not assignment.concerns(unit):
            return False
        node.shown_points = node.criterion.max_points
        node.shown_leaves = 1
        return True

    kept_roots = [root for root in roots if keep(root, 0)]
    all_leaves = [a for a in assignments.values()]
    return AssessmentTree(
        roots=kept_roots,
        total_points=sum((root.criterion.max_points for root in roots), Decimal(0)),
        shown_points=sum((root.shown_points for root in kept_roots), Decimal(0)),
        leaf_count=len(all_leaves),
        shown_leaves=sum(root.shown_leaves for root in kept_roots),
        unassigned=sum(1 for a in all_leaves if a.lead_unit_id is None),
        points=sum((root.points for root in kept_roots), Decimal(0)),
    )


# -- Results: points per node, totals, level, what is lost -----------------------------------


@dataclass
class ResultNode:
    criterion: Criterion
    depth: int
    children: list[ResultNode] = field(default_factory=list)
    assignment: Assignment | None = None
    score: Score | None = None
    proposed: Decimal = Decimal(0)
    approved: Decimal = Decimal(0)
    #: maximum of the leaves below that count (excluded "không phát sinh" leaves do not)
    counted_max: Decimal = Decimal(0)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def excluded(self) -> bool:
        return self.score is not None and self.score.excluded

    @property
    def current_points(self) -> Decimal | None:
        """`Score.points`: approved points if approved, else the proposal (None: not scored)."""
        return self.score.points if self.score is not None else None

    @property
    def lost(self) -> Decimal:
        """Points below the maximum, for a scored leaf that counts."""
        points = self.current_points
        if not self.is_leaf or self.excluded or points is None:
            return Decimal(0)
        return self.criterion.max_points - points

    def walk(self) -> Iterator[ResultNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Results:
    assessment: Assessment
    roots: list[ResultNode]
    leaves: list[ResultNode]
    proposed: scoring.Total
    approved: scoring.Total
    levels: list[Level]
    deductions: list[AdjustmentEntry]
    disqualifiers: list[AdjustmentEntry]

    def rows(self) -> Iterator[ResultNode]:
        for root in self.roots:
            yield from root.walk()

    @property
    def level(self) -> Level | None:
        return self.level_for(self.approved)

    @property
    def proposed_level(self) -> Level | None:
        return self.level_for(self.proposed)

    def level_for(self, total: scoring.Total) -> Level | None:
        """The level `total` reaches, as assessments.levels says it (past the top level's
        band is the top level); None when disqualified."""
        if total.disqualified:
            return None
        return self.level_at(total.final)

    def level_at(self, points: Decimal) -> Level | None:
        return level_at(self.levels, points)

    @property
    def target(self) -> Level | None:
        return self.assessment.target_level

    @property
    def missing_to_target(self) -> Decimal:
        """Approved points still needed to reach the registered level (0 if reached)."""
        target = self.target
        if target is None or target.min_points is None:
            return Decimal(0)
        return max(Decimal(0), target.min_points - self.approved.final)

    @property
    def losing(self) -> list[ResultNode]:
        """Scored leaves below their maximum, most points lost first."""
        return sorted(
            (leaf for leaf in self.leaves if leaf.lost > 0),
            key=lambda leaf: (-leaf.lost, leaf.criterion.order),
        )

    def status_counts(self) -> dict[str, int]:
        counts = {status: 0 for status in Score.Status.values}
        for leaf in self.leaves:
            counts[leaf.score.status if leaf.score else Score.Status.NOT_STARTED] += 1
        return counts


def level_at(levels: list[Level], points: Decimal) -> Level | None:
    """The level whose band holds `points`; past the top level's band (or in a gap between
    bands) the highest level whose minimum is met (the commune's and the city's standing)."""
    inside = next((lv for lv in levels if lv.contains(points)), None)
    if inside is not None:
        return inside
    met = [lv for lv in levels if lv.min_points is not None and points >= lv.min_points]
    return max(met, key=lambda lv: lv.min_points or Decimal(0), default=None)


#: Cached results are thrown away when the code that computes them changes (a deploy).
RESULTS_CODE = code_hash(
    Path(__file__), Path(scoring.__file__), Path(__file__).with_name("models.py")
)
RESULTS_SECONDS = 24 * 3600


def assessment_results(assessment: Assessment) -> Results:
    """Every node's proposed and approved points, the totals with rebasing, deductions and
    disqualifiers, and the level reached. Computed once per change of the assessment's data
    (guards.versions): the default cache keeps it under the data version, read before the
    rows, so a hit costs no query and a change is never served stale. Each call gets its own
    copy (the cache pickles), so a caller may change what it is given."""
    key = f"results:{RESULTS_CODE}:{assessment.pk}:{data_version(assessment)}"
    results = cache.get(key)
    if results is None:
        results = compute_results(assessment)
        cache.set(key, results, RESULTS_SECONDS)
    results.assessment = assessment
    return results


def compute_results(assessment: Assessment) -> Results:
    """`assessment_results` from the rows (a fixed number of queries whatever the tree size)."""
    criteria = list(
        Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order", "id")
    )
    assignments = {
        a.criterion_id: a
        for a in Assignment.objects.filter(assessment=assessment).select_related("lead_unit")
    }
    scores = {
        s.criterion_id: s
        for s in Score.objects.filter(assessment=assessment).select_related(
            "proposed_by", "leader_by"
        )
    }
    levels = list(Level.objects.filter(criteria_set_id=assessment.criteria_set_id))
    entries = list(
        AdjustmentEntry.objects.filter(assessment=assessment, cases__gt=0).select_related(
            "adjustment"
        )
    )
    nodes = {c.pk: ResultNode(criterion=c, depth=0) for c in criteria}
    roots: list[ResultNode] = []
    for c in criteria:
        (nodes[c.parent_id].children if c.parent_id else roots).append(nodes[c.pk])

    leaves: list[ResultNode] = []

    def fill(node: ResultNode, depth: int) -> None:
        node.depth = depth
        if node.children:
            for child in node.children:
                fill(child, depth + 1)
            node.proposed = sum((c.proposed for c in node.children), Decimal(0))
            node.approved = sum((c.approved for c in node.children), Decimal(0))
            node.counted_max = sum((c.counted_max for c in node.children), Decimal(0))
            return
        node.assignment = assignments.get(node.criterion.pk)
        node.score = scores.get(node.criterion.pk)
        leaves.append(node)
        score = node.score
        node.counted_max = Decimal(0) if node.excluded else node.criterion.max_points
        if score is not None:
            node.proposed = score.proposed_points or Decimal(0)
            node.approved = score.approved_points or Decimal(0)

    for root in roots:
        fill(root, 0)

    deductions = [e for e in entries if e.adjustment.kind == Adjustment.Kind.DEDUCTION]
    disqualifiers = [e for e in entries if e.adjustment.kind == Adjustment.Kind.DISQUALIFIER]
    # A deduction always has its points (the deduction_has_points constraint).
    deducted = sum(
        (e.cases * (e.adjustment.points_per_case or Decimal(0)) for e in deductions), Decimal(0)
    )
    scale = assessment.criteria_set.scale

    def total(pick: Callable[[ResultNode], Decimal | None]) -> scoring.Total:
        return scoring.total(
            [
                scoring.LeafResult(
                    max_points=leaf.criterion.max_points, points=pick(leaf), excluded=leaf.excluded
                )
                for leaf in leaves
            ],
            scale=scale,
            deductions=deducted,
            disqualified=bool(disqualifiers),
        )

    return Results(
        assessment=assessment,
        roots=roots,
        leaves=leaves,
        proposed=total(lambda leaf: leaf.score.proposed_points if leaf.score else None),
        approved=total(lambda leaf: leaf.score.approved_points if leaf.score else None),
        levels=sorted(
            levels, key=lambda lv: lv.min_points if lv.min_points is not None else Decimal(-1)
        ),
        deductions=deductions,
        disqualifiers=disqualifiers,
    )


@dataclass
class UnitProgress:
    unit: Unit | None
    assigned: int = 0
    max_points: Decimal = Decimal(0)
    scored: int = 0
    submitted: int = 0
    approved: int = 0
    returned: int = 0
    #: submitted or resubmitted, waiting for the leaders (the review queue's unit filter)
    waiting: int = 0
    with_evidence: int = 0
    proposed: Decimal = Decimal(0)
    approved_points: Decimal = Decimal(0)

    @property
    def completeness(self) -> int:
        """Per cent of the unit's sub-criteria approved."""
        return round(100 * self.approved / self.assigned) if self.assigned else 0


def unit_progress(
    results: Results, evidence_counts: dict[int, int] | None = None
) -> list[UnitProgress]:
    """Per lead unit: assigned, scored, submitted, approved, with evidence, and points."""
    evidence_counts = evidence_counts or {}
    rows: dict[int | None, UnitProgress] = {}
    for unit in results.assessment.commune.units.order_by("order", "name"):
        rows[unit.pk] = UnitProgress(unit=unit)
    done = {Score.Status.SUBMITTED, Score.Status.RESUBMITTED, Score.Status.APPROVED}
    for leaf in results.leaves:
        lead_id = leaf.assignment.lead_unit_id if leaf.assignment else None
        row = rows.setdefault(lead_id, UnitProgress(unit=None))
        score = leaf.score
        row.assigned += 1
        row.max_points += leaf.criterion.max_points
        if score is not None and (score.proposed_points is not None or score.not_arising):
            row.scored += 1
        if score is not None and score.status in done:
            row.submitted += 1
        if score is not None and score.is_approved:
            row.approved += 1
            row.approved_points += score.approved_points or Decimal(0)
        if score is not None and score.status == Score.Status.RETURNED:
            row.returned += 1
        if score is not None and score.status in WAITING:
            row.waiting += 1
        if score is not None:
            row.proposed += score.proposed_points or Decimal(0)
        if evidence_counts.get(leaf.criterion.pk):
            row.with_evidence += 1
    return [row for row in rows.values() if row.assigned or row.unit is not None]


# -- Evidence discipline ------------------------------------------------------------------------


def _has_evidence() -> Q:
    """Whether the score's sub-criterion has evidence that is not deleted: its own or linked.

    The evidence app imports this one, not the reverse: its tables are reached by name."""
    evidence = apps.get_model("evidence", "Evidence")
    link = apps.get_model("evidence", "EvidenceLink")
    own = evidence.objects.filter(
        assessment_id=OuterRef("assessment_id"),
        criterion_id=OuterRef("criterion_id"),
        deleted_at__isnull=True,
    )
    linked = link.objects.filter(
        evidence__assessment_id=OuterRef("assessment_id"),
        criterion_id=OuterRef("criterion_id"),
        evidence__deleted_at__isnull=True,
    )
    return Exists(own) | Exists(linked)


# The points that count (Score.points): the leaders' once approved, else the proposal.
_HAS_POINTS = Q(status=Score.Status.APPROVED, leader_points__gt=0) | (
    ~Q(status=Score.Status.APPROVED) & Q(proposed_points__gt=0)
)


def scores_missing_evidence(assessment: Assessment) -> QuerySet[Score]:
    """The assessment's scores with points above zero (proposed, or approved) and no
    evidence, when its criteria set requires evidence; none when it does not."""
    if not assessment.criteria_set.evidence_required:
        return Score.objects.none()
    return (
        Score.objects.filter(assessment=assessment)
        .exclude(status=Score.Status.NOT_STARTED)
        .filter(_HAS_POINTS)
        .exclude(_has_evidence())
    )


def missing_evidence(scores: Iterable[Score]) -> set[int]:
    """The ids of those of `scores` that have points above zero and no evidence although
    their criteria set requires it. One query, whatever the number of scores (none for an
    empty list); a score with unsaved points is judged on its saved ones."""
    ids = [score.pk for score in scores]
    if not ids:
        return set()
    return set(
        Score.objects.filter(pk__in=ids, assessment__criteria_set__evidence_required=True)
        .filter(_HAS_POINTS)
        .exclude(_has_evidence())
        .values_list("pk", flat=True)
    )


def has_evidence(score: Score) -> bool:
    """Whether the score's sub-criterion has evidence (own or linked, not deleted)."""
    return Score.objects.filter(pk=score.pk).filter(_has_evidence()).exists()


def returned_untouched(scores: Iterable[Score]) -> set[int]:
    """The ids of those of `scores` that were returned and not edited since: their last
    event (comments and the city's appraisal aside: they change nothing of the commune's) is
    the leaders' return. One query."""
    ids = [score.pk for score in scores if score.status == Score.Status.RETURNED]
    if not ids:
        return set()
    last = (
        ScoreEvent.objects.filter(score=OuterRef("pk"))
        .exclude(action__in=(ScoreEvent.Action.COMMENT, *CITY_SCORE_ACTIONS))
        .order_by("-id")
        .values("action")[:1]
    )
    return set(
        Score.objects.filter(pk__in=ids)
        .annotate(last_action=Subquery(last))
        .filter(last_action=ScoreEvent.Action.RETURN)
        .values_list("pk", flat=True)
    )


UNTOUCHED = "trả lại, chưa sửa"
"""Why "send all" leaves out a returned item nobody edited since the leaders' return."""


@dataclass
class SendPlan:
    """What "Gửi lãnh đạo tất cả" would send now, and what it leaves out and why."""

    ready: list[Score]
    left_out: list[tuple[Score, str]]
    #: ids of ready scores with points but no evidence (when the criteria set requires it)
    missing: set[int]

    @property
    def confirmation(self) -> str:
        """The items as the confirmation names them: "id:version,id:version"."""
        return ",".join(f"{score.pk}:{score.version}" for score in self.ready)


def send_plan(assessment: Assessment, criterion_ids: Iterable[int] | QuerySet) -> SendPlan:
    """The drafts and the returned items edited since their return, among the sub-criteria
    `criterion_ids` (`access.submittable_assignments`); the others are left out with their
    reason. Three queries whatever the number of items."""
    from assessments.services import submit_problems  # noqa: PLC0415 (services import us)

    scores = list(
        Score.objects.filter(
            assessment=assessment,
            criterion_id__in=criterion_ids,
            status__in=[Score.Status.DRAFT, Score.Status.RETURNED],
        )
        .select_related("criterion", "assessment")
        .order_by("criterion__order")
    )
    untouched = returned_untouched(scores)
    ready, left_out = [], []
    for score in scores:
        if score.pk in untouched:
            left_out.append((score, UNTOUCHED))
        elif problems := submit_problems(score):
            left_out.append((score, "; ".join(p.split(": ", 1)[-1] for p in problems)))
        else:
            ready.append(score)
    return SendPlan(ready=ready, left_out=left_out, missing=missing_evidence(ready))


# -- The leaders' review queue ------------------------------------------------------------------

WAITING = (Score.Status.SUBMITTED, Score.Status.RESUBMITTED)


@dataclass
class QueueItem:
    """A score waiting for the leaders, with what its row shows."""

    score: Score
    root: Criterion
    lead_unit: Unit | None
    since: dt.datetime | None
    evidence_count: int

    @property
    def criterion(self) -> Criterion:
        return self.score.criterion

    @property
    def resubmitted(self) -> bool:
        return self.score.status == Score.Status.RESUBMITTED

    @property
    def lacks_evidence(self) -> bool:
        """Points above zero and no evidence: the hook for the "approve without evidence"
        warning (issue 12, point 6), shown as a badge here and decided elsewhere."""
        points = self.score.proposed_points
        return self.evidence_count == 0 and points is not None and points > 0

    @property
    def key(self) -> tuple:
        return _queue_key(self.since, self.score.criterion.order, self.score.pk)


def _queue_key(since: dt.datetime | None, order: int, pk: int) -> tuple:
    # A waiting score always has a submission time; None (imported data) goes first.
    return (since is not None, since or dt.datetime.min.replace(tzinfo=dt.UTC), order, pk)


@dataclass
class ReviewQueue:
    items: list[QueueItem]
    roots: list[Criterion]
    unit: Unit | None
    root: Criterion | None

    def __len__(self) -> int:
        return len(self.items)

    def next_after(self, key: tuple, *, skip: int | None = None) -> QueueItem | None:
        """The item after `key` in the queue's order, else the first one (the leader went
        past some): never the score `skip`."""
        others = [item for item in self.items if item.score.pk != skip]
        return next((item for item in others if item.key > key), others[0] if others else None)

    def item_for(self, score_pk: int) -> QueueItem | None:
        return next((item for item in self.items if item.score.pk == score_pk), None)


def _last_submission() -> Subquery:
    return Subquery(
        ScoreEvent.objects.filter(
            score=OuterRef("pk"),
            action__in=(ScoreEvent.Action.SUBMIT, ScoreEvent.Action.RESUBMIT),
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )


def waiting_since(score: Score) -> tuple:
    """The queue key of `score` (one query): where it stands, or stood before a decision."""
    since = (
        Score.objects.filter(pk=score.pk)
        .annotate(since=Coalesce(_last_submission(), "proposed_at"))
        .values_list("since", flat=True)
        .first()
    )
    return _queue_key(since, score.criterion.order, score.pk)


def review_queue(
    assessment: Assessment, *, unit: Unit | None = None, root_id: int | None = None
) -> ReviewQueue:
    """Every score of the assessment submitted or resubmitted to the leaders, oldest first
    (by its last submission), optionally only those `unit` leads or those under the
    top-level criterion `root_id`. Four queries whatever the number of items: criteria,
    scores, assignments, evidence counts (one fewer when nothing waits).

    Evidence is counted through the assessment's reverse relation (`assessment.evidence`):
    this app does not import the evidence app, which depends on it."""
    criteria = {
        c.pk: c
        for c in Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by(
            "order", "id"
        )
    }
    roots = [c for c in criteria.values() if c.parent_id is None]

    def root_of(criterion_id: int) -> Criterion:
        node = criteria[criterion_id]
        while node.parent_id is not None:
            node = criteria[node.parent_id]
        return node

    root = next((c for c in roots if c.pk == root_id), None)
    scores = Score.objects.filter(assessment=assessment, status__in=WAITING)
    if root is not None:
        scores = scores.filter(criterion_id__in=[pk for pk in criteria if root_of(pk) is root])
    if unit is not None:
        led = Assignment.objects.filter(assessment=assessment, lead_unit=unit)
        scores = scores.filter(criterion_id__in=led.values("criterion_id"))
    waiting = list(
        scores.select_related("criterion", "proposed_by").annotate(
            since=Coalesce(_last_submission(), "proposed_at")
        )
    )
    queue = ReviewQueue(items=[], roots=roots, unit=unit, root=root)
    if not waiting:
        return queue
    ids = [score.criterion_id for score in waiting]
    lead_units = {
        a.criterion_id: a.lead_unit
        for a in Assignment.objects.filter(
            assessment=assessment, criterion_id__in=ids
        ).select_related("lead_unit")
    }
    evidence = assessment.evidence
    counts = {
        row["links__criterion_id"]: row["n"]
        for row in evidence.filter(deleted_at__isnull=True, links__criterion_id__in=ids)
        .values("links__criterion_id")
        .annotate(n=Count("pk"))
    }
    queue.items = sorted(
        (
            QueueItem(
                score=score,
                root=root_of(score.criterion_id),
                lead_unit=lead_units.get(score.criterion_id),
                since=score.since,
                evidence_count=counts.get(score.criterion_id, 0),
            )
            for score in waiting
        ),
        key=lambda item: item.key,
    )
    return queue


# -- Comparison with the previous period (issue 12) --------------------------------------------


def _counted_points(node: ResultNode) -> Decimal | None:
    """The points that count now (`Score.points`) for a leaf; for a parent, the sum of its
    leaves' (None when none of them is scored)."""
    if node.is_leaf:
        return None if node.excluded else node.current_points
    values = [v for v in (_counted_points(child) for child in node.children) if v is not None]
    return sum(values, Decimal(0)) if values else None


@dataclass
class ComparisonRow:
    criterion: Criterion
    depth: int
    is_leaf: bool
    before: Decimal | None = None
    now: Decimal | None = None
    status_before: str = ""
    status_now: str = ""
    #: the sub-criterion (code) did not exist in the previous period's criteria set
    is_new: bool = False
    #: a leaf not scored yet in this period (its "change" is only that)
    not_scored: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def difference(self) -> Decimal | None:
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


@dataclass
class Comparison:
    current: Results
    previous: Results
    rows: list[ComparisonRow]
    #: codes of the previous period's sub-criteria that the current set no longer has
    dropped: list[str]

    @property
    def changed(self) -> int:
        """Sub-criteria scored in this period whose points, status or shortfall changed."""
        return sum(1 for row in self.rows if row.is_leaf and row.changes and not row.not_scored)

    @property
    def not_scored(self) -> int:
        return sum(1 for row in self.rows if row.not_scored)


def assessment_comparison(current: Assessment, previous: Assessment) -> Comparison:
    """Per criterion and sub-criterion (matched by code), the points that count in both
    periods, the difference and what changed; totals and levels come with both `Results`.
    A fixed number of queries whatever the size of the trees (two `assessment_results`)."""
    now = assessment_results(current)
    before = assessment_results(previous)
    earlier = {node.criterion.code: node for node in before.rows()}
    rows = []
    for node in now.rows():
        old = earlier.get(node.criterion.code)
        row = ComparisonRow(
            criterion=node.criterion,
            depth=node.depth,
            is_leaf=node.is_leaf,
            now=_counted_points(node),
            before=_counted_points(old) if old is not None else None,
            is_new=old is None,
        )
        if node.is_leaf:
            row.status_now = node.score.get_status_display() if node.score else ""
            if old is not None and old.score is not None:
                row.status_before = old.score.get_status_display()
            row.changes = _leaf_changes(row, node, old)
        rows.append(row)
    codes = {node.criterion.code for node in now.leaves}
    dropped = [leaf.criterion.code for leaf in before.leaves if leaf.criterion.code not in codes]
    return Comparison(current=now, previous=before, rows=rows, dropped=dropped)


def _leaf_changes(row: ComparisonRow, node: ResultNode, old: ResultNode | None) -> list[str]:
    if old is None:
        return ["Tiêu chí mới (kỳ trước không có)"]
    if node.score is None or node.score.status == Score.Status.NOT_STARTED:
        row.not_scored = True
        return ["Chưa chấm ở kỳ này"]
    changes = []
    if row.status_before != row.status_now:
        changes.append(f"Trạng thái: {row.status_before or '–'} → {row.status_now or '–'}")
    difference = row.difference
    if difference is not None and difference > 0:
        changes.append(f"Tăng {fmt_points(difference)} điểm")
    elif difference is not None and difference < 0:
        changes.append(f"Giảm {fmt_points(-difference)} điểm")
    if node.lost > 0 and old.lost == 0:
        changes.append("Mới chưa đạt điểm tối đa")
    elif node.lost == 0 and old.lost > 0 and row.now is not None:
        changes.append("Đã khắc phục (đạt điểm tối đa)")
    return changes


# -- Deadlines and lateness (issue 12) ---------------------------------------------------------

#: a sub-criterion its lead unit still owes the leaders: not sent yet, or returned
OWED = (Score.Status.NOT_STARTED, Score.Status.DRAFT, Score.Status.RETURNED)


@dataclass
class UnitDue:
    """One unit's deadline in an assessment and what it still owes the leaders."""

    unit: Unit
    deadline: dt.date | None  # the effective one: the unit's own, else the assessment's
    own: UnitDeadline | None  # the unit's own deadline (reason, set_by, set_at), if any
    items: list[Score] = field(default_factory=list)  # owed, led by the unit itself
    today: dt.date | None = None

    @property
    def is_late(self) -> bool:
        return (
            bool(self.items)
            and self.deadline is not None
            and self.today is not None
            and (self.today > self.deadline)
        )

    @property
    def days_left(self) -> int | None:
        if self.deadline is None or self.today is None:
            return None
        return (self.deadline - self.today).days


def _own_deadlines(assessment: Assessment) -> dict[int, UnitDeadline]:
    return {
        row.unit_id: row
        for row in UnitDeadline.objects.filter(assessment=assessment).select_related("set_by")
    }


def unit_dues(
    assessment: Assessment,
    *,
    today: dt.date | None = None,
    owns: dict[int, UnitDeadline] | None = None,
) -> list[UnitDue]:
    """Every unit of the commune with its effective deadline, its own deadline's record and
    the sub-criteria it leads that are not sent yet (a collective lead, "Các cơ quan, đơn vị",
    is its own row). Three queries whatever the number of units and sub-criteria."""
    today = today or timezone.localdate()
    if owns is None:
        owns = _own_deadlines(assessment)
    rows = {
        unit.pk: UnitDue(
            unit=unit,
            deadline=owns[unit.pk].deadline if unit.pk in owns else assessment.scoring_deadline,
            own=owns.get(unit.pk),
            today=today,
        )
        for unit in Unit.objects.filter(commune_id=assessment.commune_id).order_by("order", "name")
    }
    lead = Assignment.objects.filter(
        assessment_id=OuterRef("assessment_id"), criterion_id=OuterRef("criterion_id")
    ).values("lead_unit_id")[:1]
    for score in (
        Score.objects.filter(assessment=assessment, status__in=OWED)
        .annotate(lead_id=Subquery(lead))
        .select_related("criterion")
        .order_by("criterion__order")
    ):
        row = rows.get(score.lead_id)
        if row is not None:
            row.items.append(score)
    return list(rows.values())


def late_units(assessment: Assessment, *, today: dt.date | None = None) -> list[UnitDue]:
    """The units past their effective deadline that still owe sub-criteria, and what they owe
    (NOT_STARTED, DRAFT or RETURNED). One query while no deadline has passed (the usual
    case), four once one has, whatever the number of units and sub-criteria."""
    if assessment.status != Assessment.Status.OPEN:
        return []
    today = today or timezone.localdate()
    owns = _own_deadlines(assessment)
    dates = [row.deadline for row in owns.values()]
    if assessment.scoring_deadline is not None:
        dates.append(assessment.scoring_deadline)
    if not any(today > date for date in dates):
        return []
    return [row for row in unit_dues(assessment, today=today, owns=owns) if row.is_late]
