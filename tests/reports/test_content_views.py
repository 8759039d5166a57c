"""The pages of the report's content from data: the tasks editor and implementing documents."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.models import Assessment
from reports.models import ImplementingDocument, Report, ReportTask
from reports.services import report_create
from tests.queries import at_most

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def report(demo_scored, secretary) -> Report:
    return report_create(assessment=demo_scored.assessment, by=secretary)


def _url(name: str, report: Report, *args) -> str:
    return reverse(f"reports:{name}", args=[report.assessment_id, report.pk, *args])


def test_editor_shows_the_tasks_in_section_p2_ii(client, login_as, secretary, report):
    login_as(secretary)
    html = client.get(_url("edit", report)).content.decode()
    assert 'data-testid="tasks-editor"' in html
    assert html.count('data-key="unmet:') == 6
    assert "Chưa đạt điểm tối đa" in html and "Đơn vị: " in html
    assert reverse("reports:documents", args=[report.assessment_id]) in html  # from I.2


def test_add_edit_move_delete_through_the_pages(client, login_as, secretary, report):
    login_as(secretary)
    response = client.post(_url("task_add", report), {"text": "Tổng kết mô hình"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tổng kết mô hình." in html and 'id="nhiem-vu"' in html
    task = ReportTask.objects.get(report=report)
    response = client.post(
        _url("task_move", report), {"key": f"task:{task.pk}", "direction": "down"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#nhiem-vu")
    report.refresh_from_db()
    assert report.task_order[1] == f"task:{task.pk}"
    html = client.post(
        _url("task_move", report), {"key": f"task:{task.pk}", "direction": "up"}, **HTMX
    ).content.decode()
    assert html.index(f'data-key="task:{task.pk}"') < html.index('data-key="unmet:1.2.d"')
    client.post(_url("task_edit", report, task.pk), {"text": "Sơ kết"}, **HTMX)
    task.refresh_from_db()
    assert task.text == "Sơ kết"
    client.post(_url("task_delete", report, task.pk), **HTMX)
    assert not ReportTask.objects.filter(pk=task.pk).exists()


def test_bad_input_says_why_and_changes_nothing(client, login_as, secretary, report):
    login_as(secretary)
    html = client.post(_url("task_add", report), {"text": "   "}, **HTMX).content.decode()
    assert "Hãy ghi nội dung nhiệm vụ" in html
    html = client.post(
        _url("task_move", report), {"key": "unmet:1.2.d", "direction": "sideways"}, **HTMX
    ).content.decode()
    assert "Dữ liệu không hợp lệ" in html
    response = client.post(
        _url("task_move", report), {"key": "unmet:9.9", "direction": "up"}, follow=True
    )
    assert "không còn trong danh sách" in response.content.decode()
    assert not report.tasks.exists()
    report.refresh_from_db()
    assert report.task_order == []


def test_issued_report_refuses_task_changes(client, login_as, secretary, report):
    task = ReportTask.objects.create(report=report, text="Một", created_by=secretary)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.ISSUED)
    login_as(secretary)
    html = client.post(_url("task_edit", report, task.pk), {"text": "Hai"}, **HTMX).content.decode()
    assert "đã ban hành" in html
    response = client.post(_url("task_add", report), {"text": "Ba"}, follow=True)
    assert "đã ban hành" in response.content.decode()
    assert list(report.tasks.values_list("text", flat=True)) == ["Một"]


def test_staff_and_outsiders_cannot_touch_tasks(client, login_as, own_staff, outsider, report):
    login_as(own_staff)
    assert client.post(_url("task_add", report), {"text": "x"}).status_code == 403
    login_as(outsider)
    assert client.post(_url("task_add", report), {"text": "x"}).status_code == 404
    assert not report.tasks.exists()


def test_documents_page_add_edit_delete(client, login_as, leader, demo):
    login_as(leader)
    url = reverse("reports:documents", args=[demo.assessment.pk])
    response = client.post(
        url,
        {
            "kind": "remind",
            "number": "403/UBND-VHXX",
            "date": "2026-02-23",
            "summary": "đôn đốc các cơ quan, đơn vị",
            "issuer": "",
            "order": "",
        },
    )
    assert response.status_code == 302
    document = ImplementingDocument.objects.get(assessment=demo.assessment)
    assert document.created_by == leader and document.order == 1
    html = client.get(url).content.decode()
    assert "403/UBND-VHXX" in html
    assert "tiếp tục ban hành Công văn số 403/UBND-VHXX đôn đốc các cơ quan, đơn vị." in html
    edit = reverse("reports:document_edit", args=[demo.assessment.pk, document.pk])
    assert 'value="403/UBND-VHXX"' in client.get(edit).content.decode()
    client.post(
        edit, {"kind": "deploy", "number": "1381/UBND-VHXXH", "summary": "yêu cầu", "order": "2"}
    )
    document.refresh_from_db()
    assert (document.kind, document.number, document.date, document.order) == (
        "deploy",
        "1381/UBND-VHXXH",
        None,
        2,
    )
    delete = reverse("reports:document_delete", args=[demo.assessment.pk, document.pk])
    assert client.post(delete).status_code == 302
    assert not ImplementingDocument.objects.exists()


def test_documents_bad_input_and_frozen(client, login_as, secretary, demo):
    login_as(secretary)
    url = reverse("reports:documents", args=[demo.assessment.pk])
    html = client.post(url, {"kind": "deploy", "number": "1381", "summary": "x"}).content.decode()
    assert "không giống số, ký hiệu văn bản" in html
    html = client.post(url, {"kind": "nope", "number": "1/UB", "summary": "x"}).content.decode()
    assert "is-invalid" in html
    assert not ImplementingDocument.objects.exists()
    Assessment.objects.filter(pk=demo.assessment.pk).update(status=Assessment.Status.FROZEN)
    html = client.post(url, {"kind": "deploy", "number": "1/UB", "summary": "x"}).content.decode()
    assert "không sửa được văn bản triển khai" in html
    assert not ImplementingDocument.objects.exists()


def test_documents_page_is_for_leaders_and_the_secretary(
    client, login_as, own_staff, outsider, demo
):
    url = reverse("reports:documents", args=[demo.assessment.pk])
    login_as(own_staff)
    assert client.get(url).status_code == 403
    login_as(outsider)
    assert client.get(url).status_code == 404


def test_documents_page_queries_do_not_grow(client, login_as, secretary, demo):
    login_as(secretary)
    url = reverse("reports:documents", args=[demo.assessment.pk])
    with at_most(40, "session, user, membership, assessment, documents, draft, set") as few:
        client.get(url)
    for n in range(5):
        ImplementingDocument.objects.create(
            assessment=demo.assessment, number=f"{n}/UBND", summary="x", created_by=secretary
        )
    with at_most(40, "the same with five documents") as many:
        client.get(url)
    assert len(many) == len(few)


def test_report_home_links_to_the_documents(client, login_as, leader, demo):
    login_as(leader)
    html = client.get(reverse("reports:home", args=[demo.assessment.pk])).content.decode()
    assert reverse("reports:documents", args=[demo.assessment.pk]) in html


def test_tasks_editor_queries_do_not_grow_with_tasks(client, login_as, secretary, report):
    login_as(secretary)
    url = _url("task_move", report)
    data = {"key": "unmet:1.2.d", "direction": "down"}
    # The results are computed once, then come from the cache (guards.versions): warm it, so
    # that both counts below are of the same state.
    client.post(url, data, **HTMX)
    # session, user, membership, assessment, report, the order's lock and results (twice:
    # the move and the answer), the tasks, the audit entry
    with at_most(45, "session … results, tasks, audit") as few:
        client.post(url, data, **HTMX)
    for n in range(5):
        ReportTask.objects.create(report=report, text=f"Nhiệm vụ {n}", created_by=secretary)
    with at_most(45, "the same with five general tasks") as many:
        client.post(url, data, **HTMX)
    assert len(many) == len(few)
