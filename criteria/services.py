"""Write actions on criteria sets. Views, admin, imports and commands all call these."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from criteria.models import Adjustment, CriteriaSet, Criterion, Level
from criteria.tree import LevelRow, NodeRow, parse_points, validate_levels, validate_tree
from guards.versions import bump_all
from guards.yamlfiles import read_yaml

FIXTURE_5049 = (
    Path(__file__).resolve().parent.parent / "fixtures" / "criteria" / "hai-phong-5049-draft.yaml"
)


def criteria_set_is_locked(criteria_set: CriteriaSet) -> bool:
    """A set that an assessment uses is frozen; changes go into a new version."""
    return criteria_set.pk is not None and criteria_set.assessments.exists()


def ensure_editable(criteria_set: CriteriaSet) -> None:
    if criteria_set_is_locked(criteria_set):
        raise ValidationError(
            f"Bộ tiêu chí “{criteria_set}” đang được dùng cho kỳ đánh giá nên không thể sửa "
            "trực tiếp. Hãy dùng “Tạo phiên bản mới” rồi sửa phiên bản mới."
        )


def rows_from_criteria_set(criteria_set: CriteriaSet) -> list[NodeRow]:
    criteria = list(criteria_set.criteria.select_related("parent").order_by("order", "id"))
    return [
        NodeRow(
            row=index,
            code=node.code,
            title=node.title,
            max_points=node.max_points,
            scoring_guide=node.scoring_guide,
            default_lead_unit=node.default_lead_unit,
            parent_code=node.parent.code if node.parent else None,
            provenance=node.provenance,
            points_provenance=node.points_provenance,
            unit_provenance=node.unit_provenance,
            rule=node.rule,
            step=node.step,
            tiers=node.tiers,
            numerator_label=node.numerator_label,
            denominator_label=node.denominator_label,
            not_arising=node.not_arising,
        )
        for index, node in enumerate(criteria, start=1)
    ]


def criteria_set_problems(criteria_set: CriteriaSet) -> list[str]:
    """Every broken tree or level rule of a stored set, as Vietnamese sentences."""
    problems = validate_tree(rows_from_criteria_set(criteria_set), criteria_set.scale).messages()
    levels = [
        LevelRow(lv.name, lv.min_points, lv.max_points_exclusive)
        for lv in criteria_set.levels.all()
    ]
    return problems + validate_levels(levels, criteria_set.scale)


@transaction.atomic
def criteria_set_replace_tree(*, criteria_set: CriteriaSet, rows: list[NodeRow]) -> list[Criterion]:
    """Replace the whole tree of an editable set by `rows`, or change nothing."""
    ensure_editable(criteria_set)
    problems = validate_tree(rows, criteria_set.scale)
    if problems:
        raise ValidationError(problems.messages())
    criteria_set.criteria.all().delete()
    created = Criterion.objects.bulk_create(
        Criterion(
            criteria_set=criteria_set,
            code=row.code,
            title=row.title,
            # Rows whose points could not be read were reported by their reader; a None left
            # here is refused by the NOT NULL column, as before.
            max_points=row.max_points,  # type: ignore[misc]
            scoring_guide=row.scoring_guide,
            default_lead_unit=row.default_lead_unit,
            order=order,
            provenance=row.provenance,
            points_provenance=row.points_provenance,
            unit_provenance=row.unit_provenance,
            rule=row.rule,
            step=row.step,
            tiers=row.tiers,
            numerator_label=row.numerator_label,
            denominator_label=row.denominator_label,
            not_arising=row.not_arising,
        )
        for order, row in enumerate(rows, start=1)
    )
    link_parents(criteria_set, {row.code: row.resolved_parent_code for row in rows})
    bump_all()
    return created


def link_parents(criteria_set: CriteriaSet, parent_code_of: dict[str, str | None]) -> None:
    """Point each criterion at its parent once every row of the tree exists."""
    by_code = {node.code: node for node in criteria_set.criteria.all()}
    changed = []
    for code, node in by_code.items():
        parent_code = parent_code_of.get(code)
        parent = by_code[parent_code] if parent_code else None
        if node.parent_id != (parent.pk if parent else None):
            node.parent = parent
            changed.append(node)
    Criterion.objects.bulk_update(changed, ["parent"])
    bump_all()  # bulk writes send no signal (guards/versions.py)


@transaction.atomic
def criteria_set_replace_levels(*, criteria_set: CriteriaSet, levels: list[Level]) -> None:
    ensure_editable(criteria_set)
    rows = [LevelRow(lv.name, lv.min_points, lv.max_points_exclusive) for lv in levels]
    messages = validate_levels(rows, criteria_set.scale)
    if messages:
        raise ValidationError(messages)
    criteria_set.levels.all().delete()
    for order, level in enumerate(levels, start=1):
        level.pk = None
        level.criteria_set = criteria_set
        level.order = order
    Level.objects.bulk_create(levels)
    bump_all()


@transaction.atomic
def criteria_set_new_version(*, criteria_set: CriteriaSet) -> CriteriaSet:
    """Copy a set (levels and tree) into a new draft version that can be edited."""
    latest = CriteriaSet.objects.filter(title=criteria_set.title).order_by("-version").first()
    copy = CriteriaSet.objects.create(
        title=criteria_set.title,
        decision_number=criteria_set.decision_number,
        decision_date=criteria_set.decision_date,
        issuing_body=criteria_set.issuing_body,
        scale=criteria_set.scale,
        status=CriteriaSet.Status.DRAFT,
        needs_verification=criteria_set.needs_verification,
        provenance_note=criteria_set.provenance_note,
        evidence_required=criteria_set.evidence_required,
        version=max(latest.version, criteria_set.version) + 1 if latest else 2,
        previous_version=criteria_set,
    )
    criteria_set_replace_levels(criteria_set=copy, levels=list(criteria_set.levels.all()))
    criteria_set_replace_tree(criteria_set=copy, rows=rows_from_criteria_set(criteria_set))
    adjustments = list(criteria_set.adjustments.all())
    for adjustment in adjustments:
        adjustment.pk = None
        adjustment.criteria_set = copy
    Adjustment.objects.bulk_create(adjustments)
    bump_all()
    return copy


# -- YAML fixture ---------------------------------------------------------------------------


def _points_or_none(value: object) -> Decimal | None:
    return None if value is None else parse_points(value)


def _yaml_scoring(spec: dict) -> dict:
    """The optional `scoring:` block of a node: rule, step, tiers, numerator, denominator,
    not_arising."""
    fields = {}
    if "rule" in spec:
        fields["rule"] = spec["rule"]
    if "step" in spec:
        fields["step"] = parse_points(spec["step"])
    if "tiers" in spec:
        fields["tiers"] = str(spec["tiers"])
    if "numerator" in spec:
        fields["numerator_label"] = spec["numerator"]
    if "denominator" in spec:
        fields["denominator_label"] = spec["denominator"]
    if "not_arising" in spec:
        fields["not_arising"] = spec["not_arising"] or ""
    return fields


def _flatten_yaml(nodes: list[dict], rows: list[NodeRow]) -> None:
    for node in nodes:
        rows.append(
            NodeRow(
                row=len(rows) + 1,
                code=str(node["code"]).strip(),
                title=(node.get("title_corrected") or node["title"]).strip(),
                max_points=parse_points(node["max_points"]),
                scoring_guide=(node.get("scoring_rule") or "").strip(),
                default_lead_unit=(node.get("responsible_unit") or "").strip(),
                provenance=str(node.get("source") or ""),
                points_provenance=str(node.get("points_source") or ""),
                unit_provenance=str(node.get("unit_source") or ""),
                **_yaml_scoring(node.get("scoring") or {}),
            )
        )
        _flatten_yaml(node.get("children") or [], rows)


@transaction.atomic
def criteria_set_load_yaml(*, path: Path | str) -> CriteriaSet:
    """Create a criteria set from a YAML file in the shape of fixtures/criteria/*.yaml."""
    data = read_yaml(path)
    meta = data["meta"]
    decision_date = meta.get("decision_date")
    if isinstance(decision_date, str):
        decision_date = dt.date.fromisoformat(decision_date)
    criteria_set = CriteriaSet.objects.create(
        title=meta["title"],
        decision_number=meta.get("decision_number", ""),
        decision_date=decision_date,
        issuing_body=meta.get("issuing_body", ""),
        scale=parse_points(meta.get("scale", 100)),
        status=meta.get("portal_status", CriteriaSet.Status.DRAFT),
        needs_verification=str(meta.get("status", "")).upper() == "DRAFT",
        provenance_note=meta.get("provenance_note", ""),
        # "Cần minh chứng để có điểm": on unless the file says otherwise.
        evidence_required=bool(meta.get("evidence_required", True)),
    )
    levels = [
        Level(
            name=level["name"],
            min_points=_points_or_none(level.get("min")),
            max_points_exclusive=_points_or_none(level.get("max_exclusive")),
            label=level.get("label", ""),
            provenance=str(level.get("source", "")),
        )
        for level in data.get("levels") or []
    ]
    criteria_set_replace_levels(criteria_set=criteria_set, levels=levels)
    rows: list[NodeRow] = []
    _flatten_yaml(data.get("criteria") or [], rows)
    criteria_set_replace_tree(criteria_set=criteria_set, rows=rows)
    Adjustment.objects.bulk_create(
        Adjustment(
            criteria_set=criteria_set,
            kind=item["kind"],
            title=item["title"],
            points_per_case=_points_or_none(item.get("points_per_case")),
            order=order,
            provenance=str(item.get("source", "")),
        )
        for order, item in enumerate(data.get("adjustments") or [], start=1)
    )
    bump_all()
    return criteria_set
