"""What may be said about the level a total reaches (issue 11, item 2).

The report, the appendix (PDF, DOCX, XLSX) and the dashboard all say it with
`level_statement`, so they cannot disagree. A level is named as reached only when the criteria
set's levels are verified: the set is not a reconstruction and no level's threshold was
inferred. Otherwise the documents state the total (they print it themselves) and whether the
registered level's points are reached, and `why_not_stated` says why no level is named.

Every text is a clause to print after the total, without the total itself, so that the XLSX
can write its level row as a formula whose branches are these texts (`statement_branches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assessments.selectors import Results
from criteria import scoring
from criteria.models import CriteriaSet, Level
from criteria.rules import fmt_points

INFERRED = "inferred"
NO_LEVELS = "Bộ tiêu chí chưa có mức đạt chuẩn nào."
NOT_RECOGNISED = "không đủ điều kiện xét công nhận"

#: where the shortfall's figure goes in a text template
SHORTFALL = "{shortfall}"


@dataclass(frozen=True)
class LevelStatement:
    #: the level the documents may name as reached, or None (levels not verified, none
    #: reached, disqualified)
    level: Level | None
    #: the clause the documents print after the total, without the total itself, e.g.
    #: "đạt mức đã đăng ký (mức 2: Đạt từ 85 đến dưới 90 điểm)"
    text: str
    #: why no level is named (shown in the preview and the editor), "" when one is named
    why_not_stated: str
    #: the same clause said from the registered level's side, for the dashboard's tile of the
    #: registered level, e.g. "còn thiếu 0,5 điểm để đạt mức 2"; "" without a registered level
    target_text: str = ""
    #: points still needed to reach the registered level, when the text says it (else 0)
    shortfall: Decimal = Decimal(0)
    #: `text` with SHORTFALL in place of the shortfall's figure (equal to `text` when the text
    #: states no shortfall): a formula writes the figure itself
    template: str = ""
    #: the criteria set's levels may be quoted as reached
    verified: bool = False
    #: the band of `level` as the documents say it (see `band`), "" without a level
    level_band: str = ""
    #: the band of the registered level, "" without one
    target_band: str = ""

    @property
    def template_parts(self) -> tuple[str, str] | None:
        """The text before and after the shortfall's figure, or None when no figure is said."""
        if SHORTFALL not in self.template:
            return None
        before, after = self.template.split(SHORTFALL, 1)
        return before, after


def inferred_levels(results: Results) -> list[Level]:
    """The levels whose threshold was inferred rather than read from a source."""
    return [lv for lv in results.levels if lv.provenance.strip().lower() == INFERRED]


def levels_verified(results: Results) -> bool:
    """True when the criteria set's levels may be quoted as reached (not reconstructed)."""
    return not results.assessment.criteria_set.needs_verification and not inferred_levels(results)


def level_label(level: Level | None) -> str:
    """A level as the city's pages and exports name it: with "(ngưỡng suy luận)" when its
    threshold was inferred rather than read from a source, so that nobody takes a
    reconstructed band for the decision's."""
    if level is None:
        return ""
    if (level.provenance or "").strip().lower() == INFERRED:
        return f"{level.name} (ngưỡng suy luận)"
    return str(level.name)


def set_levels_verified(criteria_set: CriteriaSet) -> bool:
    """The same for a criteria set, without an assessment's results (the city's documents)."""
    return not criteria_set.needs_verification and not any(
        lv.provenance.strip().lower() == INFERRED for lv in criteria_set.levels.all()
    )


def why_set_levels_unverified(criteria_set: CriteriaSet) -> str:
    """Why the city's documents name no level ("" when they may)."""
    if set_levels_verified(criteria_set):
        return ""
    inferred = [lv for lv in criteria_set.levels.all() if lv.provenance.strip().lower() == INFERRED]
    guess = f" ({_names(inferred)} là suy luận)" if inferred else ""
    if criteria_set.needs_verification:
        return (
            "bộ tiêu chí đang dùng là bản dựng lại chưa đối chiếu quyết định chính thức"
            f"{guess}, nên văn bản không ghi mức đạt."
        )
    return f"ngưỡng điểm của mức đạt chưa có nguồn{guess}, nên văn bản không ghi mức đạt."


def _top(results: Results) -> Level | None:
    return max(results.levels, key=_floor, default=None)


def band(results: Results, level: Level) -> str:
    """The level's band as a reader takes it. The top level's band ends at the scale, not
    below it: with mức 3 = from 90 to under 100 on a scale of 100, a total of 100 is mức 3,
    so the band reads "Đạt từ 90 đến 100 điểm", never "dưới 100" beside a total of 100."""
    if level.label:
        return level.label
    scale = results.approved.scale
    top = _top(results)
    high = level.max_points_exclusive
    if top is not None and level.name == top.name and high is not None and high >= scale:
        if level.min_points is None:
            return f"Đạt đến {fmt_points(scale)} điểm"
        return f"Đạt từ {fmt_points(level.min_points)} đến {fmt_points(scale)} điểm"
    return level.range_label


def describe(results: Results, level: Level) -> str:
    """The level with its band, e.g. "mức 2: Đạt từ 85 đến dưới 90 điểm" (the bare name when
    the level has no band)."""
    words = band(results, level)
    return f"{level.name}: {words}" if words else level.name


def _names(levels: list[Level]) -> str:
    names = [lv.name for lv in levels]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} và {names[-1]}"


def _floor(level: Level) -> Decimal:
    return level.min_points if level.min_points is not None else Decimal("-Infinity")


def reached_level(results: Results, points: Decimal) -> Level | None:
    """The level whose band holds `points` (see Results.level_at, which the pages share)."""
    return results.level_at(points)


def _is_top(results: Results, level: Level) -> bool:
    top = _top(results)
    return top is not None and top.name == level.name


def _shortfall(target: Level, points: Decimal) -> Decimal:
    if target.min_points is None:
        return Decimal(0)
    return max(Decimal(0), target.min_points - points)


def _with_shortfall(template: str, shortfall: Decimal) -> str:
    return template.replace(SHORTFALL, fmt_points(shortfall))


def _why_unverified(results: Results, target: Level | None) -> str:
    inferred = inferred_levels(results)
    guess = f" ({_names(inferred)} là suy luận)" if inferred else ""
    if results.assessment.criteria_set.needs_verification:
        why = (
            "Bộ tiêu chí đang dùng là bản dựng lại chưa đối chiếu quyết định chính thức"
            f"{guess}, nên báo cáo không ghi mức đạt được."
        )
    else:
        why = (
            f"Khung điểm của {_names(inferred)} là suy luận, chưa đối chiếu quyết định chính "
            "thức, nên báo cáo không ghi mức đạt được."
        )
    if target is None:
        why += " Kỳ đánh giá chưa có mức đăng ký, nên báo cáo chỉ ghi tổng điểm."
    elif any(lv.name == target.name for lv in inferred):
        why += f" Khung điểm của mức đã đăng ký ({target.name}) cũng là suy luận."
    return why


def _unverified(results: Results, points: Decimal) -> LevelStatement:
    """Only whether the total is within the registered level's band, below it or past it."""
    target = results.target
    why = _why_unverified(results, target)
    if target is None:
        return LevelStatement(None, "", why, template="")
    shortfall = _shortfall(target, points)
    if shortfall > 0:
        template = (
            f"chưa đạt mức đã đăng ký ({describe(results, target)}), còn thiếu {SHORTFALL} điểm"
        )
        target_text = f"còn thiếu {SHORTFALL} điểm để đạt {target.name}"
    elif (
        target.max_points_exclusive is not None
        and points >= target.max_points_exclusive
        and not _is_top(results, target)
    ):
        template = f"vượt khung điểm của mức đã đăng ký ({describe(results, target)})"
        target_text = "vượt khung điểm của mức đã đăng ký"
    else:  # within its band, or past the top level's, which no level goes beyond
        template = f"đạt mức đã đăng ký ({describe(results, target)})"
        target_text = "đạt mức đã đăng ký"
    return LevelStatement(
        None,
        _with_shortfall(template, shortfall),
        why,
        target_text=_with_shortfall(target_text, shortfall),
        shortfall=shortfall if SHORTFALL in template else Decimal(0),
        template=template,
        target_band=band(results, target),
    )


def _verified(results: Results, points: Decimal) -> LevelStatement:
    """The level reached, and how it stands against the registered one."""
    target = results.target
    level = reached_level(results, points)
    if not results.levels:
        return LevelStatement(None, "", NO_LEVELS, verified=True)
    if level is None:
        lowest = min(results.levels, key=_floor)
        head = "chưa đạt mức nào"
        why = f"Tổng điểm chưa đến khung điểm của mức thấp nhất ({describe(results, lowest)})."
    else:
        words = band(results, level)
        head = f"đạt {level.name} ({words})" if words else f"đạt {level.name}"
        why = ""
    level_band = band(results, level) if level is not None else ""
    if target is None:
        return LevelStatement(level, head, why, template=head, verified=True, level_band=level_band)
    shortfall = Decimal(0)
    if level is not None and level.name == target.name:
        template = f"{head}, đúng mức đã đăng ký"
        target_text = "đạt mức đã đăng ký"
    elif level is not None and _floor(level) > _floor(target):
        template = f"{head}, cao hơn mức đã đăng ký ({target.name})"
        target_text = f"đạt {level.name}, cao hơn mức đã đăng ký"
    elif (shortfall := _shortfall(target, points)) > 0:
        template = f"{head}, còn thiếu {SHORTFALL} điểm để đạt mức đã đăng ký ({describe(results, target)})"
        target_text = f"còn thiếu {SHORTFALL} điểm để đạt {target.name}"
    else:  # only when the bands leave the total outside every level, past the registered one
        template = f"{head}, vượt khung điểm của mức đã đăng ký ({describe(results, target)})"
        target_text = "vượt khung điểm của mức đã đăng ký"
    return LevelStatement(
        level,
        _with_shortfall(template, shortfall),
        why,
        target_text=_with_shortfall(target_text, shortfall),
        shortfall=shortfall,
        template=template,
        verified=True,
        level_band=level_band,
        target_band=band(results, target),
    )


def level_statement(results: Results, total: scoring.Total | None = None) -> LevelStatement:
    """What the documents say about `total` (default: the approved total)."""
    total = total or results.approved
    verified = levels_verified(results)
    if total.disqualified:
        titles = "; ".join(entry.adjustment.title for entry in results.disqualifiers)
        because = f" ({titles})" if titles else ""
        # the reason that counts whatever the levels: no level is recognised at all
        why = f"Kỳ đánh giá có trường hợp thuộc diện không xét công nhận{because}."
        return LevelStatement(
            None,
            NOT_RECOGNISED,
            why,
            target_text=NOT_RECOGNISED if results.target else "",
            template=NOT_RECOGNISED,
            verified=verified,
            target_band=band(results, results.target) if results.target else "",
        )
    if verified:
        return _verified(results, total.final)
    return _unverified(results, total.final)


def statement_for_points(results: Results, points: Decimal) -> LevelStatement:
    """The statement for a total of `points` (the XLSX formula's branches are written with it).

    The assessment's disqualification carries over: a disqualified assessment is not
    recognised whatever the points."""
    scale = results.approved.scale
    total = scoring.Total(
        points=points,
        raw_points=points,
        counted_max=scale,
        scale=scale,
        deductions=Decimal(0),
        disqualified=results.approved.disqualified,
        scored=1,
        leaves=1,
    )
    return level_statement(results, total)


def statement_branches(results: Results) -> list[tuple[Decimal, LevelStatement]]:
    """Where the statement's wording changes, highest first: from each lower bound up to the
    previous one, `template` is the same (only a shortfall's figure moves). A spreadsheet
    formula tests the bounds in this order; the last bound is 0."""
    bounds = {Decimal(0)}
    for level in results.levels:
        bounds.update(b for b in (level.min_points, level.max_points_exclusive) if b is not None)
    branches: list[tuple[Decimal, LevelStatement]] = []
    for bound in sorted((b for b in bounds if b >= 0), reverse=True):
        statement = statement_for_points(results, bound)
        if branches and branches[-1][1].template == statement.template:
            branches[-1] = (bound, statement)
        else:
            branches.append((bound, statement))
    return branches
