"""django-import-export glue: a criteria set's tree as an XLSX sheet in the admin.

Reading and checking the file lives in `criteria.xlsx`; this module only fits it into
import-export's flow. An import replaces the whole tree of the chosen set, because a partial
tree would break the sum rules, and a file with any problem is refused as a whole.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.formats import base_formats

from criteria.models import CriteriaSet, Criterion
from criteria.rules import NotArisingPolicy, RuleKind, fmt_points, provenance_label
from criteria.services import ensure_editable, link_parents
from criteria.xlsx import (
    COLUMNS,
    NOT_ARISING_LABELS,
    RULE_LABELS,
    read_rows,
    read_sheet,
    write_workbook,
)

# Resource field names, in the order of the columns in criteria.xlsx.COLUMNS.
FIELD_NAMES = (
    "code",
    "parent_code",
    "title",
    "max_points",
    "scoring_guide",
    "default_lead_unit",
    "provenance",
    "points_provenance",
    "unit_provenance",
    "rule",
    "step",
    "tiers",
    "numerator_label",
    "denominator_label",
    "not_arising",
)


class CriteriaXLSX(base_formats.XLSX):
    """XLSX that reads the first sheet (not the active one) and refuses formulas."""

    def create_dataset(self, in_stream):
        return read_sheet(in_stream)

    def export_data(self, dataset, **kwargs):
        return write_workbook(dataset.headers, dataset)


class CriterionResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name="Mã")
    # Parents are linked by code once every row exists, so a child may come before its parent.
    parent_code = fields.Field(column_name="Mã cha", readonly=True)
    title = fields.Field(attribute="title", column_name="Tên tiêu chí")
    max_points = fields.Field(attribute="max_points", column_name="Điểm tối đa")
    scoring_guide = fields.Field(attribute="scoring_guide", column_name="Hướng dẫn chấm")
    default_lead_unit = fields.Field(attribute="default_lead_unit", column_name="Đơn vị chủ trì")
    provenance = fields.Field(attribute="provenance", column_name="Nguồn gốc")
    points_provenance = fields.Field(attribute="points_provenance", column_name="Nguồn gốc điểm")
    unit_provenance = fields.Field(attribute="unit_provenance", column_name="Nguồn gốc đơn vị")
    rule = fields.Field(attribute="rule", column_name="Cách chấm")
    step = fields.Field(attribute="step", column_name="Bước điểm")
    tiers = fields.Field(attribute="tiers", column_name="Bậc điểm")
    numerator_label = fields.Field(attribute="numerator_label", column_name="Tử số")
    denominator_label = fields.Field(attribute="denominator_label", column_name="Mẫu số")
    not_arising = fields.Field(attribute="not_arising", column_name="Khi không phát sinh")

    class Meta:
        model = Criterion
        fields = FIELD_NAMES
        export_order = FIELD_NAMES
        # Every row is a new criterion: the import replaces the tree.
        force_init_instance = True
        use_transactions = True
        report_skipped = False

    def __init__(self, criteria_set: CriteriaSet | None = None, **kwargs):
        super().__init__(**kwargs)
        self.criteria_set = criteria_set
        self._refused = True
        self._problems_by_row: dict[int, list[str]] = {}
        self._nodes = {}
        self._order_of: dict[int, int] = {}

    @classmethod
    def get_display_name(cls):
        return "Cây tiêu chí"

    # -- import ------------------------------------------------------------------------------

    def import_data(self, dataset, **kwargs):
        # A partly imported tree breaks the sum rules: any invalid row rolls everything back.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        self._refused = True
        if self.criteria_set is None:
            raise ValidationError("Chưa chọn bộ tiêu chí nhận dữ liệu.")
        ensure_editable(self.criteria_set)
        rows, problems = read_rows(dataset.headers, dataset, self.criteria_set.scale)
        self._problems_by_row = {
            row: [f"Dòng {row}: {message}" for message in messages]
            for row, messages in problems.by_row.items()
            if messages
        }
        if problems.general:
            raise ValidationError(problems.general)
        if problems:
            return
        self._nodes = {node.row: node for node in rows}
        self._order_of = {node.row: order for order, node in enumerate(rows, start=1)}
        self.criteria_set.criteria.all().delete()
        self._refused = False

    def before_import_row(self, row, row_number=None, **kwargs):
        excel_row = row_number + 1  # row_number counts data rows from 1; Excel has the header
        if excel_row in self._problems_by_row:
            raise ValidationError(self._problems_by_row[excel_row])
        node = self._nodes.get(excel_row)
        if node is not None:
            # The widgets see values already cleaned by criteria.xlsx (stripped text, Decimal).
            for header, attr in COLUMNS.items():
                row[header] = getattr(node, attr)

    def init_instance(self, row=None):
        return Criterion(criteria_set=self.criteria_set)

    def after_init_instance(self, instance, new, row, row_number=None, **kwargs):
        instance.order = self._order_of.get(row_number + 1, 0)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # Blank rows, and every row of a refused file, are not saved.
        return self._refused or all(value in (None, "") for value in row.values())

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self._refused or result.has_errors() or result.has_validation_errors():
            return
        # import-export's own diff shows stored values ("pass_fail", "0.25"); the clerk
        # checks the file against the words they typed.
        result.preview = preview_rows(self._nodes.values())
        link_parents(
            self.criteria_set,
            {node.code: node.resolved_parent_code for node in self._nodes.values()},
        )

    # -- export ------------------------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        if self.criteria_set is not None:
            queryset = queryset.filter(criteria_set=self.criteria_set)
        return queryset.select_related("parent").order_by("criteria_set", "order", "id")

    def dehydrate_parent_code(self, criterion):
        """Blank when the code already says who the parent is ('1.1.a' under '1.1')."""
        if criterion.parent is None:
            return ""
        derived = criterion.code.rsplit(".", 1)[0] if "." in criterion.code else None
        return "" if criterion.parent.code == derived else criterion.parent.code

    def dehydrate_max_points(self, criterion):
        return criterion.max_points  # a number in Excel, not text

    def dehydrate_rule(self, criterion):
        return RULE_LABELS.get(criterion.rule, criterion.rule)

    def dehydrate_step(self, criterion):
        return criterion.step

    def dehydrate_not_arising(self, criterion):
        return (
            ""
            if criterion.not_arising == NotArisingPolicy.NOT_ALLOWED
            else NOT_ARISING_LABELS[criterion.not_arising]
        )


def preview_rows(nodes) -> list[list[str]]:
    """The rows of a checked file in the columns of criteria.xlsx.COLUMNS, as a reader writes
    them: labels instead of codes, decimal commas, the parent that the code implies. How a
    criterion is scored only applies to leaves, so parents show nothing there."""
    nodes = sorted(nodes, key=lambda node: node.row)
    parents = {node.resolved_parent_code for node in nodes}
    rows = []
    for node in nodes:
        leaf = node.code not in parents
        rows.append(
            [
                node.code,
                node.resolved_parent_code or "",
                node.title,
                fmt_points(node.max_points) if node.max_points is not None else "",
                node.scoring_guide,
                node.default_lead_unit,
                provenance_label(node.provenance),
                provenance_label(node.points_provenance),
                provenance_label(node.unit_provenance),
                RULE_LABELS.get(node.rule, node.rule) if leaf else "",
                fmt_points(node.step) if leaf and node.rule == RuleKind.FREE else "",
                node.tiers if leaf else "",
                node.numerator_label if leaf else "",
                node.denominator_label if leaf else "",
                NOT_ARISING_LABELS.get(node.not_arising, "") if leaf and node.not_arising else "",
            ]
        )
    return rows


def criteria_set_export_xlsx(criteria_set: CriteriaSet) -> bytes:
    """The tree of `criteria_set` as an XLSX file that imports back to the same tree."""
    dataset = CriterionResource(criteria_set=criteria_set).export(queryset=Criterion.objects.all())
    return CriteriaXLSX().export_data(dataset)


def import_result_messages(result) -> list[str]:
    """Every reason an import was refused, as the Vietnamese sentences the resource raised."""
    lines = []
    for error in result.base_errors:
        lines.extend(getattr(error.error, "messages", [str(error.error)]))
    for row in result.invalid_rows:
        lines.extend(row.error.messages)
    for row in result.error_rows:  # unexpected (database) errors; number counts data rows
        lines.extend(f"Dòng {row.number + 1}: {error.error}" for error in row.errors)
    return lines
