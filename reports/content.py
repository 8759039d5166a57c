"""What the report says that the units and the secretary wrote as data (issue 11, item 3):
the units' accounts for section II, the tasks of section "Nhiệm vụ", the implementing
documents of section I.2. Pure functions of the data: the live fields (reports.fields) call
them at preview, PDF and issuing time.

INTERFACE STUB: the helper working on content fills in the behaviour and the tests without
changing these signatures.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessments.selectors import ResultNode, Results
from reports.models import Report


@dataclass(frozen=True)
class TaskItem:
    key: str  # "task:<pk>", "next:<criterion code>:<n>", "unmet:<criterion code>" (Report.task_order)
    text: str  # one sentence, ending with "."
    source: str  # shown in the editor: "Nhiệm vụ chung", "Đơn vị: …", "Chưa đạt điểm tối đa"


def criterion_accounts(results: Results, root: ResultNode) -> list[str]:
    """Section II for one criterion: paragraphs (report markup, one per line) from the units'
    "kết quả thực hiện" of its sub-criteria, tree order; a sub-criterion not done is never
    described as done."""
    return [
        f"- {leaf.score.result_text.strip()}"
        for leaf in root.walk()
        if leaf.is_leaf and leaf.score is not None and leaf.score.result_text.strip()
    ]


def report_tasks(report: Report, results: Results) -> list[TaskItem]:
    """Section "Nhiệm vụ": general tasks, units' next tasks and unmet sub-criteria, in the
    secretary's order (Report.task_order)."""
    return [TaskItem(f"task:{task.pk}", task.text, "Nhiệm vụ chung") for task in report.tasks.all()]


def implementing_paragraphs(report: Report, results: Results) -> list[str]:
    """Section I.2: one paragraph per implementing document of the assessment."""
    return []
