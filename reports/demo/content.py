"""The reports side of the demo: the implementing documents of section I.2 and, when a draft
report is made, the seed report's order of section "Nhiệm vụ". Entered through the same
services a user's actions call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from assessments.demo import DEMO_FILE
from assessments.models import Assessment
from assessments.selectors import assessment_results
from guards.yamlfiles import read_yaml
from reports.content import report_tasks
from reports.models import Report
from reports.services import report_create
from reports.services.content import implementing_document_add, report_tasks_reorder


def _spec(path: Path) -> dict:
    return read_yaml(path).get("report") or {}


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@transaction.atomic
def demo_documents(*, path: Path = DEMO_FILE) -> Assessment | None:
    """Record the demo commune's implementing documents (Công văn triển khai, đôn đốc)."""
    spec = _spec(path)
    if not spec:
        return None
    by = get_user_model().objects.get(username=spec["by"])
    assessment = Assessment.objects.filter(commune__name=spec["commune"]).order_by("-year").first()
    if assessment is None:
        return None
    for item in spec.get("implementing_documents", []):
        implementing_document_add(
            assessment=assessment,
            by=by,
            kind=item["kind"],
            number=item["number"],
            summary=item["summary"],
            date=_date(item.get("date")),
            issuer=item.get("issuer", ""),
        )
    return assessment


def demo_task_order(*, report: Report, path: Path = DEMO_FILE) -> list[str]:
    """Put section "Nhiệm vụ" of `report` in the seed report's order (given as sub-criteria
    codes), as the secretary would with the ↑ ↓ buttons."""
    spec = _spec(path)
    by = get_user_model().objects.get(username=spec["by"])
    items = report_tasks(report, assessment_results(report.assessment))
    keys: list[str] = []
    for code in spec.get("task_order", []):
        keys += [
            item.key
            for item in items
            if item.key in (f"unmet:{code}",) or item.key.startswith(f"next:{code}:")
        ]
    return report_tasks_reorder(report=report, keys=keys, by=by)


@transaction.atomic
def demo_draft_report(*, path: Path = DEMO_FILE) -> Report:
    """A draft report of the demo commune made by its secretary, tasks in the seed order."""
    spec = _spec(path)
    by = get_user_model().objects.get(username=spec["by"])
    assessment = Assessment.objects.filter(commune__name=spec["commune"]).order_by("-year").get()
    report = report_create(assessment=assessment, by=by)
    demo_task_order(report=report, path=path)
    report.refresh_from_db()
    return report
