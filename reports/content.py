"""What the report says that the units and the secretary wrote as data (issue 11, item 3):
the units' accounts for section II, the tasks of section "Nhiệm vụ", the implementing
documents of section I.2. Pure functions of the data: the live fields (reports.fields) call
them at preview, PDF and issuing time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assessments.selectors import ResultNode, Results
from reports.models import ImplementingDocument, Report

#: a line that already is a list item ("- ", "+ ", "• ", "1. ", "a) ")
LIST_MARK = re.compile(r"^([-+•*]\s|\d+[.)]\s|[a-zđ]\)\s)")
GENERAL = "Nhiệm vụ chung"
UNMET = "Chưa đạt điểm tối đa"
#: document type words by the symbol after the number ("62/KH-UBND" -> "KH")
DOCUMENT_TYPES = {"KH": "Kế hoạch", "QĐ": "Quyết định", "TB": "Thông báo", "BC": "Báo cáo"}


@dataclass(frozen=True)
class TaskItem:
    key: str  # "task:<pk>", "next:<criterion code>:<n>", "unmet:<criterion code>" (Report.task_order)
    text: str  # one sentence, ending with "."
    source: str  # shown in the editor: "Nhiệm vụ chung", "Đơn vị: …", "Chưa đạt điểm tối đa"


def sentence(text: str) -> str:
    """One line as a sentence: trimmed, first letter capital, ending with a full stop."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _key(text: str) -> str:
    """What makes two texts "the same" for printing once: spacing and case ignored."""
    return " ".join(text.split()).casefold()


def _leaves(root: ResultNode) -> Iterator[ResultNode]:
    return (node for node in root.walk() if node.is_leaf)


def is_done(leaf: ResultNode) -> bool:
    """Scored with points, and not "không phát sinh" (whatever points its policy gives, a
    sub-criterion that did not arise was not done)."""
    points = leaf.current_points
    not_arising = leaf.score is not None and leaf.score.not_arising
    return not leaf.excluded and not not_arising and points is not None and points > 0


def is_unmet(leaf: ResultNode) -> bool:
    """Scored below its maximum and counted (not "không phát sinh")."""
    points = leaf.current_points
    return not leaf.excluded and points is not None and points < leaf.criterion.max_points


def criterion_accounts(results: Results, root: ResultNode) -> list[str]:
    """Section II for one criterion: paragraphs (report markup, one per line) from the units'
    "kết quả thực hiện" of its sub-criteria, tree order; a sub-criterion not done is never
    described as done.

    An account shared by several sub-criteria is printed once, where it first appears. Each
    line of an account is a paragraph; the first one is a "- " item unless it already starts
    with a list mark."""
    paragraphs: list[str] = []
    seen: set[str] = set()
    for leaf in _leaves(root):
        if leaf.score is None or not is_done(leaf):
            continue
        lines = [" ".join(line.split()) for line in leaf.score.result_text.splitlines()]
        lines = [line for line in lines if line]
        if not lines or _key("\n".join(lines)) in seen:
            continue
        seen.add(_key("\n".join(lines)))
        first = lines[0] if LIST_MARK.match(lines[0]) else f"- {lines[0]}"
        paragraphs += [first, *lines[1:]]
    return paragraphs


def natural_tasks(report: Report, results: Results) -> list[TaskItem]:
    """Every item of section "Nhiệm vụ" before the secretary's order: general tasks, then per
    sub-criterion in tree order its unit's next tasks, or its title when it is unmet and its
    unit wrote none. A task several sub-criteria share is listed once."""
    items = [
        TaskItem(f"task:{task.pk}", sentence(task.text), GENERAL) for task in report.tasks.all()
    ]
    seen = {_key(item.text) for item in items}
    for leaf in results.leaves:
        code = leaf.criterion.code
        score = leaf.score
        lines = [line for line in (score.next_tasks if score else "").splitlines() if line.strip()]
        assignment = leaf.assignment
        unit = assignment.lead_unit if assignment and assignment.lead_unit_id else None
        source = f"Đơn vị: {unit.name}" if unit else "Đơn vị: chưa phân công"
        found = [
            TaskItem(f"next:{code}:{number}", sentence(line), source)
            for number, line in enumerate(lines, start=1)
        ]
        if not found and is_unmet(leaf):
            found = [TaskItem(f"unmet:{code}", sentence(leaf.criterion.title), UNMET)]
        for item in found:
            if _key(item.text) not in seen:
                seen.add(_key(item.text))
                items.append(item)
    return items


def report_tasks(report: Report, results: Results) -> list[TaskItem]:
    """Section "Nhiệm vụ": general tasks, units' next tasks and unmet sub-criteria, in the
    secretary's order (Report.task_order); items not in it follow in their natural order,
    keys whose item no longer exists are ignored."""
    items = natural_tasks(report, results)
    rank = {key: index for index, key in enumerate(report.task_order or []) if isinstance(key, str)}
    last = len(rank)
    return sorted(items, key=lambda item: rank.get(item.key, last))  # sorted() is stable


def document_type(number: str) -> str:
    """ "Kế hoạch" for 62/KH-UBND, "Quyết định" for 5049/QĐ-UBND…, else "Công văn"."""
    symbol = number.partition("/")[2].split("-")[0].strip().upper()
    return DOCUMENT_TYPES.get(symbol, "Công văn")


def _authority(issuing_body: str, city: str) -> str:
    """'Ủy ban nhân dân thành phố' from 'Ủy ban nhân dân thành phố Hải Phòng'."""
    body = issuing_body.strip()
    if city and body.endswith(f" {city}"):
        body = body[: -len(city) - 1]
    return body


def implementing_paragraphs(report: Report, results: Results) -> list[str]:
    """Section I.2: one paragraph per implementing document of the assessment, in order."""
    assessment = report.assessment
    commune = assessment.commune
    committee = f"Ủy ban nhân dân {commune.get_kind_display().lower()}"
    criteria_set = assessment.criteria_set
    decision = ""
    if criteria_set.decision_number:
        decision = f"Quyết định số {criteria_set.decision_number}"
        if criteria_set.decision_date:
            decision += f" ngày {criteria_set.decision_date:%d/%m/%Y}"
    authority = _authority(criteria_set.issuing_body, commune.city.name)
    paragraphs = []
    documents = ImplementingDocument.objects.filter(assessment=assessment).order_by(
        "order", "date", "id"
    )
    for document in documents:
        issuer = document.issuer.strip() or committee
        number = document.number.strip()
        name = f"{document_type(number)} số {number}"
        summary = " ".join(document.summary.split()).rstrip(".")
        summary = f" {summary}" if summary else ""
        if document.kind == ImplementingDocument.Kind.DEPLOY:
            dated = f" ngày {document.date:%d/%m/%Y}" if document.date else ""
            lead = f"Ngay khi {authority} ban hành {decision}, " if authority and decision else ""
            text = f"{lead}{issuer} đã ban hành {name}{dated}{summary}."
        elif document.kind == ImplementingDocument.Kind.REMIND:
            when = f", đến ngày {document.date:%d/%m/%Y}" if document.date else ""
            text = (
                f"Để đảm bảo việc triển khai thực hiện năm {assessment.year} được hiệu quả"
                f"{when}, {issuer} tiếp tục ban hành {name}{summary}."
            )
        else:
            when = f"Ngày {document.date:%d/%m/%Y}, " if document.date else ""
            text = f"{when}{issuer} đã ban hành {name}{summary}."
        paragraphs.append(sentence(text))
    return paragraphs
