"""The editor of section "Nhiệm vụ", included by the report editor's section "p2.II"."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from assessments.selectors import Results, assessment_results
from reports.content import GENERAL, report_tasks
from reports.models import Report

register = template.Library()


def tasks_editor_context(
    report: Report,
    *,
    request: HttpRequest | None = None,
    error: str = "",
    results: Results | None = None,
) -> dict[str, Any]:
    """The items of section "Nhiệm vụ" in the report's order, with what the editor needs
    (`results`: the page's own, when it has computed them already)."""
    general = {f"task:{task.pk}": task for task in report.tasks.all()}
    items = report_tasks(report, results or assessment_results(report.assessment))
    rows = [
        {
            "item": item,
            "number": number,
            "task": general.get(item.key),
            "first": number == 1,
            "last": number == len(items),
            "general": item.source == GENERAL,
        }
        for number, item in enumerate(items, start=1)
    ]
    return {
        "report": report,
        "assessment": report.assessment,
        "rows": rows,
        "error": error,
        "editable": report.status == Report.Status.DRAFT,
        "request": request,
    }


@register.inclusion_tag("reports/_tasks_list.html", takes_context=True)
def tasks_editor(context: template.Context, report: Report) -> dict[str, Any]:
    data = tasks_editor_context(
        report, request=context.get("request"), results=context.get("live_results")
    )
    data["csrf_token"] = context.get("csrf_token")
    return data
