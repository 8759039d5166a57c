"""Live fields of the report's sections (issue 11, item 1).

A section's body is narrative text in the report markup (reports.markup) in which every figure,
list and name that comes from data is written as a field, `{tổng điểm}`. Fields are replaced
by today's values each time the report is shown (preview, PDF, DOCX, issuing): nothing
data-derived is stored as text. A *block field* stands alone on its line and becomes several
paragraphs (`{danh sách tiêu chí}`, `{kết quả thực hiện}`, `{văn bản triển khai}`,
`{nhiệm vụ}`).

`LiveData(report)` computes every value from one `assessment_results()`; `LiveData.render`
expands one section. `ReportSection.data_snapshot` keeps the values a section's text was
written against, so the editor can say what changed since (`LiveData.changes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assessments.levels import LevelStatement, level_statement
from assessments.models import Assessment
from assessments.selectors import ResultNode, Results, assessment_results
from criteria import scoring
from criteria.models import Level
from criteria.rules import fmt_points
from reports import content, markup
from reports.appendix import appendix
from reports.models import Report, ReportSection

TOKEN = re.compile(r"\{([^{}\n]{1,60})\}")
CRITERION_SECTION = "p1.II."  # a section of part I.II per criterion: "p1.II.<code>"
IMPLEMENTING_SECTION = "p1.I.2"
MODEL = "mô hình “Chính quyền thân thiện”"

# Private-use characters around a field's value while the markup is rendered, so that the
# value can be highlighted after escaping (they cannot be typed in a section's text: the
# input guards refuse control and private-use characters).
_START, _SEP, _END = "\ue000", "\ue001", "\ue002"
_MARKED = re.compile(f"{_START}([^{_SEP}]*){_SEP}(.*?){_END}", re.S)


def period_words(assessment: Assessment) -> dict[str, str]:
    """How the report names its period and the next one."""
    year = assessment.year
    if assessment.period == Assessment.Period.FIRST_HALF:
        return {
            "kind": Report.Kind.SIX_MONTH,
            "done": f"6 THÁNG ĐẦU NĂM {year}",
            "next": f"6 THÁNG CUỐI NĂM {year}",
            "summary": (
                f"Kết quả thực hiện {MODEL} 6 tháng đầu năm, phương hướng, nhiệm vụ "
                f"6 tháng cuối năm {year}"
            ),
            "span": f"6 tháng đầu năm {year}",
            "next_span": f"6 tháng cuối năm {year}",
        }
    return {
        "kind": Report.Kind.ANNUAL,
        "done": f"NĂM {year}",
        "next": f"NĂM {year + 1}",
        "summary": f"Kết quả thực hiện {MODEL} năm {year}, phương hướng, nhiệm vụ năm {year + 1}",
        "span": f"năm {year}",
        "next_span": f"năm {year + 1}",
    }


@dataclass(frozen=True)
class Field:
    name: str
    help: str
    block: bool = False
    #: a key prefix: the field is usable only in those sections ("" = everywhere)
    only_in: str = ""

    @property
    def token(self) -> str:
        return "{" + self.name + "}"

    def usable_in(self, key: str) -> bool:
        return not self.only_in or key.startswith(self.only_in)


FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field("đơn vị hành chính", "Loại và tên đơn vị, ví dụ “phường Hòa Bình”"),
        Field("cấp", "xã, phường hoặc đặc khu"),
        Field("năm", "Năm của kỳ đánh giá"),
        Field("kỳ báo cáo", "Ví dụ “6 tháng đầu năm 2026”"),
        Field("kỳ tới", "Kỳ của phương hướng, nhiệm vụ"),
        Field("văn bản căn cứ", "Quyết định ban hành bộ tiêu chí"),
        Field("tên bộ tiêu chí", "Tên bộ tiêu chí"),
        Field("thang điểm", "Thang điểm của bộ tiêu chí"),
        Field("số tiêu chí", "Số tiêu chí (cấp 1)"),
        Field("số tiêu chí thành phần", "Số tiêu chí thành phần được chấm"),
        Field("số tiêu chí thành phần chưa đạt", "Số tiêu chí thành phần chưa đạt điểm tối đa"),
        Field("tổng điểm", "Tổng điểm (điểm duyệt; điểm tự chấm khi chưa duyệt)"),
        Field("mức đăng ký", "Mức đăng ký và khoảng điểm"),
        Field("kết luận mức", "Câu kết luận về mức đạt, theo dữ liệu"),
        Field("số kế hoạch", "Số, ký hiệu Kế hoạch triển khai"),
        Field("ngày kế hoạch", "Ngày ban hành Kế hoạch"),
        Field("số văn bản đăng ký", "Số, ký hiệu văn bản đăng ký"),
        Field("ngày đăng ký", "Ngày văn bản đăng ký"),
        Field("nơi nhận đăng ký", "Nơi nhận văn bản đăng ký"),
        Field("danh sách tiêu chí", "Các tiêu chí và điểm tối đa, mỗi tiêu chí một dòng", True),
        Field(
            "kết quả thực hiện",
            "Kết quả thực hiện do các đơn vị ghi ở từng tiêu chí thành phần",
            True,
            CRITERION_SECTION,
        ),
        Field("văn bản triển khai", "Các văn bản triển khai, nhắc nhở đã ban hành", True),
        Field("nhiệm vụ", "Các nhiệm vụ thời gian tới, đánh số, theo thứ tự đã sắp", True),
    ]
}


def tokens(body: str) -> list[str]:
    """The field names written in `body`, in order, without repeats."""
    return list(dict.fromkeys(match.group(1).strip() for match in TOKEN.finditer(body or "")))


def body_problems(body: str, key: str) -> list[str]:
    """Why `body` cannot be saved in section `key` (unknown or misplaced fields)."""
    problems = []
    for name in tokens(body):
        spec = FIELDS.get(name)
        if spec is None:
            problems.append(
                f"Không có trường {{{name}}}: hãy chọn trường trong danh sách dưới ô soạn thảo "
                "(hoặc bỏ dấu ngoặc nhọn)."
            )
        elif not spec.usable_in(key):
            problems.append(f"Trường {spec.token} chỉ dùng được trong các mục của phần II.")
    for line in (body or "").splitlines():
        for match in TOKEN.finditer(line):
            spec = FIELDS.get(match.group(1).strip())
            if spec is not None and spec.block and line.strip() != match.group(0):
                problems.append(f"Trường {spec.token} phải đứng riêng trên một dòng.")
    return list(dict.fromkeys(problems))


def _level_name(level: Level, band: str) -> str:
    """'mức 2 (Đạt từ 85 đến dưới 90 điểm)', the band as assessments.levels says it."""
    return f"{level.name} ({band})" if band else level.name


def _date(value: object) -> str | None:
    return f"{value:%d/%m/%Y}" if value else None


@dataclass
class Rendered:
    """One section with its fields substituted."""

    expanded: str  # report markup, one paragraph per line
    html: SafeString
    used: list[str]
    missing: list[str]  # fields without data: issuing is refused
    #: block fields with nothing to list today: left out of the documents, shown as a
    #: placeholder on screen and as a warning in the editor
    empty: list[str] = field(default_factory=list)


@dataclass
class Change:
    name: str
    old: str
    new: str


@dataclass
class LiveData:
    """Today's value of every field of `report`, from one `assessment_results()`."""

    report: Report
    results: Results = field(default=None)  # type: ignore[assignment]  # filled below

    def __post_init__(self) -> None:
        if self.results is None:
            self.results = assessment_results(self.report.assessment)
        self._scalars: dict[str, str | None] | None = None
        self._blocks: dict[str, list[str]] = {}

    # -- the figures -------------------------------------------------------------------------

    @property
    def assessment(self) -> Assessment:
        return self.report.assessment

    @property
    def total(self) -> scoring.Total:
        """The total the report states: the approved one, or the proposal before approval;
        the appendix prints it in the matching column."""
        approved = self.results.approved
        return approved if approved.scored else self.results.proposed

    @property
    def statement(self) -> LevelStatement:
        return level_statement(self.results, self.total)

    def scalars(self) -> dict[str, str | None]:
        if self._scalars is not None:
            return self._scalars
        assessment = self.assessment
        commune = assessment.commune
        criteria_set = assessment.criteria_set
        words = period_words(assessment)
        kind = commune.get_kind_display().lower()
        target = assessment.target_level
        total = self.total
        self._scalars = {
            "đơn vị hành chính": f"{kind} {commune.name}",
            "cấp": kind,
            "năm": str(assessment.year),
            "kỳ báo cáo": words["span"],
            "kỳ tới": words["next_span"],
            "văn bản căn cứ": criteria_set.decision_reference if criteria_set.title else None,
            "tên bộ tiêu chí": criteria_set.title or None,
            "thang điểm": fmt_points(criteria_set.scale),
            "số tiêu chí": str(len(self.results.roots)),
            "số tiêu chí thành phần": str(len(self.results.leaves)),
            "số tiêu chí thành phần chưa đạt": str(len(self.results.losing)),
            "tổng điểm": fmt_points(total.final),
            "mức đăng ký": _level_name(target, self.statement.target_band) if target else None,
            "kết luận mức": self.statement.text,
            "số kế hoạch": assessment.plan_number or None,
            "ngày kế hoạch": _date(assessment.plan_date),
            "số văn bản đăng ký": assessment.registration_number or None,
            "ngày đăng ký": _date(assessment.registration_date),
            "nơi nhận đăng ký": assessment.registration_recipient or None,
        }
        return self._scalars

    def root(self, key: str) -> ResultNode | None:
        code = key.removeprefix(CRITERION_SECTION)
        return next((r for r in self.results.roots if r.criterion.code == code), None)

    def block(self, name: str, key: str) -> list[str]:
        """The paragraphs of a block field in section `key` ([] when there is no data)."""
        cache_key = f"{name}\n{key}" if name == "kết quả thực hiện" else name
        if cache_key not in self._blocks:
            self._blocks[cache_key] = self._block(name, key)
        return self._blocks[cache_key]

    def _block(self, name: str, key: str) -> list[str]:
        results = self.results
        if name == "danh sách tiêu chí":
            roots = results.roots
            return [
                f"+ {root.criterion.title}: {fmt_points(root.criterion.max_points)} điểm"
                + ("." if index == len(roots) - 1 else ";")
                for index, root in enumerate(roots)
            ]
        if name == "kết quả thực hiện":
            root = self.root(key)
            return content.criterion_accounts(results, root) if root is not None else []
        if name == "văn bản triển khai":
            return content.implementing_paragraphs(self.report, results)
        if name == "nhiệm vụ":
            tasks = content.report_tasks(self.report, results)
            return [f"{number}. {task.text}" for number, task in enumerate(tasks, start=1)]
        return []

    def value(self, name: str, key: str) -> str | None:
        """A field's value as one text (a block's paragraphs joined by lines); None: no data."""
        spec = FIELDS.get(name)
        if spec is None or not spec.usable_in(key):
            return None
        if spec.block:
            return "\n".join(self.block(name, key)) or None
        return self.scalars()[name]

    def usable(self, key: str) -> list[tuple[Field, str | None]]:
        """The fields of section `key` with today's values (for the editor)."""
        return [
            (spec, self.value(spec.name, key) or ("" if spec.block else None))
            for spec in FIELDS.values()
            if spec.usable_in(key)
        ]

    # -- sections ----------------------------------------------------------------------------

    def render(self, body: str, key: str, *, highlight: bool = False) -> Rendered:
        """`body` with its fields replaced by today's values; a field without data becomes a
        visible placeholder and is listed in `missing`."""
        used: list[str] = []
        missing: list[str] = []
        empty: list[str] = []
        plain_lines: list[str] = []
        marked_lines: list[str] = []

        def note(name: str, ok: bool) -> None:
            if name not in used:
                used.append(name)
            if not ok and name not in missing:
                missing.append(name)

        def placeholder(name: str) -> str:
            spec = FIELDS.get(name)
            if spec is None:
                return f"[không có trường {name}]"
            if not spec.usable_in(key):
                return f"[trường {name} không dùng ở mục này]"
            return f"[chưa có: {name}]"

        for line in (body or "").replace("\r\n", "\n").split("\n"):
            if not line.strip():
                continue
            whole = TOKEN.fullmatch(line.strip())
            spec = FIELDS.get(whole.group(1).strip()) if whole else None
            if spec is not None and spec.block and spec.usable_in(key):
                paragraphs = self.block(spec.name, key)
                note(spec.name, True)
                if not paragraphs:
                    if spec.name == "văn bản triển khai":
                        continue  # no document recorded: nothing to say, nothing to warn
                    empty.append(spec.name)
                    if not highlight:
                        continue
                    paragraphs = [placeholder(spec.name)]
                plain_lines += paragraphs
                marked_lines += [f"{_START}{spec.name}{_SEP}{p}{_END}" for p in paragraphs]
                continue

            def scalar(match: re.Match[str], marked: bool) -> str:
                name = match.group(1).strip()
                spec = FIELDS.get(name)
                value = None
                if spec is not None and not spec.block:
                    value = self.value(name, key)
                note(name, value is not None)
                text = value if value is not None else placeholder(name)
                return f"{_START}{name}{_SEP}{text}{_END}" if marked else text

            plain_lines.append(TOKEN.sub(lambda m: scalar(m, False), line.strip()))
            marked_lines.append(TOKEN.sub(lambda m: scalar(m, True), line.strip()))

        html = str(markup.render("\n".join(marked_lines)))

        def span(match: re.Match[str]) -> str:
            name, text = match.group(1), match.group(2)
            if not highlight:
                return text
            css = "live-field missing" if name in missing or name in empty else "live-field"
            return f'<span class="{css}" title="{escape(name)}">{text}</span>'

        return Rendered(
            expanded="\n".join(plain_lines),
            html=mark_safe(_MARKED.sub(span, html)),  # escaped by markup.render
            used=used,
            missing=missing,
            empty=empty,
        )

    def section(self, section: ReportSection, *, highlight: bool = False) -> Rendered:
        return self.render(section.body, section.key, highlight=highlight)

    # -- what a section's text was written against --------------------------------------------

    def snapshot(self, body: str, key: str, table: str = "") -> dict[str, str]:
        """The values of the fields `body` uses, plus the figures the section depends on."""
        values = {name: self.value(name, key) or "" for name in tokens(body) if name in FIELDS}
        if key == IMPLEMENTING_SECTION:
            # Written before any document was recorded, the text does not name the field yet.
            values["văn bản triển khai"] = self.value("văn bản triển khai", key) or ""
        root = self.root(key) if key.startswith(CRITERION_SECTION) else None
        if root is not None:
            values["điểm của tiêu chí"] = (
                f"{fmt_points(_points(root))}/{fmt_points(root.criterion.max_points)}"
            )
        if table == ReportSection.Table.SHORTFALLS:
            values["bảng tồn tại, hạn chế"] = "; ".join(
                f"{leaf.criterion.code}: {fmt_points(leaf.current_points or Decimal(0))}/"
                f"{fmt_points(leaf.criterion.max_points)}"
                for leaf in sorted(self.results.losing, key=lambda leaf: leaf.criterion.order)
            )
        return values

    def changes(self, section: ReportSection) -> list[Change]:
        """What changed in the data since the section's text was last written."""
        before = section.data_snapshot or {}
        if not before:
            return []
        now = self.snapshot(section.body, section.key, section.table)
        return [
            Change(name, str(before.get(name, "")), now.get(name, ""))
            for name in dict.fromkeys([*before, *now])
            if str(before.get(name, "")) != now.get(name, "")
        ]

    # -- before issuing ------------------------------------------------------------------------

    def problems(self, sections: list[ReportSection]) -> list[str]:
        """Why the report cannot be issued as it is now (empty: it can)."""
        problems = []
        for section in sections:
            rendered = self.section(section)
            label = section.heading or "Phần kết"
            for name in rendered.missing:
                problems.append(f"Mục “{label}”: trường {{{name}}} chưa có dữ liệu.")
            for name in tokens(section.body):
                if name not in FIELDS:
                    problems.append(f"Mục “{label}”: không có trường {{{name}}}.")
            for typed in self.contradictions(section.body):
                problems.append(
                    f"Mục “{label}”: lời văn ghi “{typed}” nhưng tổng điểm hiện nay là "
                    f"{fmt_points(self.total.final)}/{fmt_points(self.total.scale)}; hãy dùng "
                    "trường {tổng điểm}."
                )
        return problems

    def warnings(self, sections: list[ReportSection]) -> list[str]:
        """What the secretary should know before issuing, without blocking it."""
        return [
            f"Mục “{section.heading or 'Phần kết'}”: trường {{{name}}} hôm nay không có gì để "
            "liệt kê; mục sẽ để trống."
            for section in sections
            for name in self.section(section).empty
        ]

    def contradictions(self, body: str) -> list[str]:
        """Figures typed in the narrative (outside fields) that state a total other than the
        live one: "92,5/100", "đạt 92,5 điểm", "tổng điểm 92,5"."""
        text = TOKEN.sub(" ", markup.plain(body))
        total = self.total
        found = []
        for match in TYPED_SCORE.finditer(text):
            number = _decimal(match.group("score") or match.group("score2"))
            scale = _decimal(match.group("scale")) if match.group("scale") else None
            if scale is not None and scale != total.scale:
                continue  # "3/5 hồ sơ": not the total
            if number is not None and number != total.final:
                found.append(match.group(0).strip())
        return found


NUMBER = r"\d+(?:[.,]\d+)?"
TYPED_SCORE = re.compile(
    rf"(?<![\d/])(?<!\d[.,])(?P<score>{NUMBER})\s*/\s*(?P<scale>{NUMBER})(?![\d/])(?:\s*điểm)?"
    rf"|(?:\bđạt|tổng(?: số)? điểm(?: là| đạt)?:?)\s+(?P<score2>{NUMBER})(?![.,]?\d)(?!\s*/)"
    r"(?:\s*điểm)?",
    re.IGNORECASE,
)


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _points(node: ResultNode) -> Decimal:
    if node.is_leaf:
        return node.current_points or Decimal(0)
    return sum((_points(child) for child in node.children), Decimal(0))


def report_problems(
    report: Report, data: LiveData | None = None, sections: list[ReportSection] | None = None
) -> list[str]:
    """Why `report` cannot be issued now: fields without data, typed figures that contradict
    the data, and any figure the report and its appendix would print differently. Without
    `data` (issuing), the appendix reads the data on its own, as its PDF will."""
    table = appendix(report, results=data.results if data is not None else None)
    data = data or LiveData(report)
    sections = sections if sections is not None else list(report.sections.all())
    problems = data.problems(sections)
    rows = {row.code: row for row in table.rows}
    approved = table.results.approved
    appendix_total = approved if approved.scored else table.results.proposed
    used = {name for section in sections for name in tokens(section.body)}

    def differ(what: str, ours: str, theirs: str) -> None:
        if ours != theirs:
            problems.append(f"{what}: báo cáo ghi {ours}, phụ lục ghi {theirs}.")

    if "tổng điểm" in used:
        differ("Tổng điểm", data.scalars()["tổng điểm"] or "", fmt_points(appendix_total.final))
    if "thang điểm" in used:
        differ("Thang điểm", data.scalars()["thang điểm"] or "", fmt_points(appendix_total.scale))
    if "danh sách tiêu chí" in used:
        for root in data.results.roots:
            row = rows.get(root.criterion.code)
            differ(
                f"Điểm tối đa của tiêu chí {root.criterion.code}",
                fmt_points(root.criterion.max_points),
                fmt_points(row.max_points) if row else "không có",
            )
    if any(section.table == ReportSection.Table.SHORTFALLS for section in sections):
        for leaf in data.results.losing:
            code = leaf.criterion.code
            row = rows.get(code)
            if row is None:
                problems.append(f"Tiêu chí thành phần {code} có trong báo cáo, không có ở phụ lục.")
                continue
            differ(
                f"Điểm tối đa của {code}",
                fmt_points(leaf.criterion.max_points),
                fmt_points(row.max_points),
            )
            theirs = row.approved if row.is_approved else row.proposed
            differ(
                f"Điểm đạt của {code}",
                fmt_points(leaf.current_points or Decimal(0)),
                fmt_points(theirs) if theirs is not None else "không có",
            )
    return problems
