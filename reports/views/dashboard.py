"""Dashboards and tables that combine scores with evidence."""

from django.http import HttpResponse
from django.shortcuts import render

from assessments.access import (
    get_assessment_for_user,
    is_leader,
    require_overview,
    rule,
    staff_window_open,
)
from assessments.levels import level_statement
from audit.services import Action, audit_record
from guards.filenames import file_name, send_as
from guards.http import AuthenticatedRequest
from reports.selectors import adjustment_rows, reports_awaiting_signature
from reports.selectors import dashboard as build_dashboard
from reports.xlsx import unit_table_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@rule("reviewer")
def dashboard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Where points are lost: totals against the registered level, per criterion and unit."""
    assessment = get_assessment_for_user(request.user, pk)
    require_overview(request.user, assessment)
    board = build_dashboard(assessment)
    results = board.results
    return render(
        request,
        "reports/dashboard.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "board": board,
            "results": results,
            "statement": level_statement(results),
            "proposed_statement": level_statement(results, results.proposed),
            "is_leader": is_leader(request.user, assessment),
            "window_open": staff_window_open(assessment),
            "adjustments": adjustment_rows(assessment),
            "awaiting": reports_awaiting_signature(request.user),
        },
    )


@rule("reviewer")
def units(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    require_overview(request.user, assessment)
    board = build_dashboard(assessment)
    return render(
        request,
        "reports/units.html",
        {
            "assessment": assessment,
            "board": board,
            "is_leader": is_leader(request.user, assessment),  # links to the review queue
        },
    )


@rule("reviewer")
def units_xlsx(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    require_overview(request.user, assessment)
    data = unit_table_xlsx(build_dashboard(assessment))
    name = file_name("Chấm điểm theo đơn vị", assessment, extension=".xlsx")
    audit_record(
        action=Action.EXPORT,
        user=request.user,
        commune=assessment.commune,
        target=assessment,
        summary=f"Xuất bảng chấm điểm theo đơn vị (Excel) {name}",
    )
    return send_as(HttpResponse(data, content_type=XLSX), name)
