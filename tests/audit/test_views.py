"""The audit trail page and its export: who may read what, filters, rows as people read
them, the XLSX read back, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Unit
from assessments.services import score_comment
from audit.context import Origin, bound
from audit.models import AuditEntry
from audit.services import audit_record
from jobs.models import Job
from tests.audit.conftest import mark, only_entry
from tests.audit.test_recording import propose, score_of
from tests.queries import at_most

A = AuditEntry.Action
LIST = "/nhat-ky/"
EXPORT = "/nhat-ky/tai-ve.xlsx"
HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def trail(demo, own_staff, other_staff, outsider_staff, administrator):
    """Actions in both communes and one by the administrator outside any commune."""
    with bound(Origin(ip="203.0.113.7", user_agent="Firefox")):
        propose(demo, own_staff, submit=False)  # vhxh saves 2.2.b
        propose(demo, own_staff)  # vhxh submits 2.2.b
        score_comment(score=score_of(demo, "2.2.b"), by=other_staff, comment="=1+1 đã gửi số liệu")
        other = demo.other_assessment.scores.select_related("criterion").first()
        score_comment(score=other, by=outsider_staff, comment="Việc của An Lão")
        audit_record(action=A.EXPORT, user=administrator, summary="Việc của quản trị")
    return demo


def rows(response) -> list[str]:
    """The table's rows as text, one string each."""
    html = response.content.decode()
    body = html.split('data-testid="audit-entries"', 1)[1].split("</tbody>", 1)[0]
    found = re.findall(r"<tr data-action.*?</tr>", body, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def summaries(response) -> list[str]:
    return [entry.summary for entry in response.context["page"].object_list]


# -- who may read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["vhxh", "kinhte", "vanthu", "anlao_vhxh"])
def test_staff_and_the_secretary_may_not_read_it(client, trail, login_as, username):
    login_as(username)
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, trail):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith("/dang-nhap/")


@pytest.mark.parametrize("username", ["lanhdao", "chutich"])
def test_a_leader_reads_their_communes_entries_only(client, trail, login_as, username):
    login_as(username)
    response = client.get(LIST)
    assert response.status_code == 200
    names = {entry.commune_name for entry in AuditEntry.objects.all()}
    assert names == {"Xã Nghi Dương", "Xã An Lão", ""}
    shown = response.context["page"].object_list
    assert shown and {entry.commune_name for entry in shown} == {"Xã Nghi Dương"}
    text = response.content.decode()
    assert "Việc của An Lão" not in text and "Việc của quản trị" not in text
    assert "anlao" not in text


def test_another_communes_leader_sees_nothing_of_ours_even_asking(
    client, trail, login_as, outsider, export
):
    login_as(outsider)
    ours = trail.user("vhxh")
    nghi_duong_unit = Unit.objects.get(commune=trail.commune, name="Phòng Văn hóa - Xã hội")
    for query in (
        "",
        f"?xa={trail.commune.pk}",
        f"?nguoi={ours.pk}",
        f"?don-vi={nghi_duong_unit.pk}",
    ):
        response = client.get(LIST + query)
        assert response.status_code == 200
        communes = {entry.commune_name for entry in response.context["page"].object_list}
        assert communes <= {"Xã An Lão"}, query
        assert "Trần Thị Mai" not in response.content.decode()
    workbook = load_workbook(io.BytesIO(export(f"?xa={trail.commune.pk}")[1]))
    values = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
    texts = [value for value in values if isinstance(value, str)]
    assert not any("Nghi Dương" in text for text in texts)
    assert "Góp ý tiêu chí 1.1.a. Việc của An Lão" in texts


def test_an_administrator_reads_everything_and_filters_by_commune(
    client, trail, login_as, administrator
):
    login_as(administrator)
    everything = client.get(LIST)
    assert {e.commune_name for e in everything.context["page"].object_list} == {
        "Xã Nghi Dương",
        "Xã An Lão",
        "",
    }
    other = client.get(LIST + f"?xa={trail.other_commune.pk}")
    assert {e.commune_name for e in other.context["page"].object_list} == {"Xã An Lão"}
    outside = client.get(LIST + "?xa=0")
    assert {e.commune_name for e in outside.context["page"].object_list} == {""}
    assert "Việc của quản trị" in summaries(outside)


def test_the_navigation_links_it_for_its_readers_only(
    client, trail, login_as, leader, secretary, own_staff
):
    dashboard = reverse("reports:dashboard", args=[trail.assessment.pk])
    login_as(leader)
    assert f'href="{LIST}"' in client.get(dashboard).content.decode()
    login_as(secretary)
    assert f'href="{LIST}"' not in client.get(dashboard).content.decode()
    login_as(own_staff)
    assert f'href="{LIST}"' not in client.get(reverse("home")).content.decode()


# -- rows and filters -----------------------------------------------------------------------------


def test_rows_read_in_vietnamese_newest_first(client, trail, login_as, leader):
    login_as(leader)
    response = client.get(LIST)
    entries = list(response.context["page"].object_list)
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    submitted = next(e for e in entries if e.action == A.SCORE_SUBMIT)
    at = submitted.at.astimezone(HANOI)
    row = next(r for r in rows(response) if "Gửi điểm" in r)
    assert row == (
        f"{at:%d/%m/%Y %H:%M} Trần Thị Mai (vhxh) Phòng Văn hóa - Xã hội Gửi điểm "
        "Tiêu chí 2.2.b Gửi tiêu chí 2.2.b: 1 điểm 203.0.113.7"
    )


def test_filter_by_person_unit_and_action(client, trail, login_as, leader):
    login_as(leader)
    vhxh = trail.user("vhxh")
    by_person = client.get(LIST + f"?nguoi={vhxh.pk}")
    assert {e.username for e in by_person.context["page"].object_list} == {"vhxh"}
    kinhte = Unit.objects.get(commune=trail.commune, name="Phòng Kinh tế")
    by_unit = client.get(LIST + f"?don-vi={kinhte.pk}")
    assert summaries(by_unit) == ["Góp ý tiêu chí 2.2.b. =1+1 đã gửi số liệu"]
    by_action = client.get(LIST + "?thao-tac=score_save")
    assert summaries(by_action) == ["Lưu nháp tiêu chí 2.2.b: 1 điểm"]
    both = client.get(LIST + f"?nguoi={vhxh.pk}&thao-tac=score_comment")
    assert summaries(both) == []


def test_filter_by_dates_takes_whole_days_of_the_portals_time_zone(
    client, demo, login_as, monkeypatch, leader
):
    for summary, local in (
        ("tối 01/03", dt.datetime(2026, 3, 1, 23, 30, tzinfo=HANOI)),
        ("sáng 02/03", dt.datetime(2026, 3, 2, 0, 30, tzinfo=HANOI)),
        ("ngày 05/03", dt.datetime(2026, 3, 5, 12, 0, tzinfo=HANOI)),
    ):
        monkeypatch.setattr("audit.services.timezone.now", lambda local=local: local)
        audit_record(action=A.EXPORT, user=leader, summary=summary)
    monkeypatch.undo()
    login_as(leader)
    assert summaries(client.get(LIST + "?tu-ngay=2026-03-02&den-ngay=2026-03-04")) == ["sáng 02/03"]
    assert summaries(client.get(LIST + "?den-ngay=2026-03-01&tu-ngay=2026-03-01")) == ["tối 01/03"]
    assert summaries(client.get(LIST + "?tu-ngay=02/03/2026&thao-tac=export")) == [
        "ngày 05/03",
        "sáng 02/03",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "?nguoi=abc",
        "?nguoi=999999999999999999999999",
        "?don-vi=-1",
        "?thao-tac=%3Cscript%3E",
        "?tu-ngay=2026-13-45",
        "?tu-ngay=2026-03-05&den-ngay=2026-03-01",
        "?xa=abc",
        "?trang=9999",
        "?nguoi=%00",
    ],
)
def test_malformed_filters_are_shown_as_errors_never_a_500(
    client, trail, login_as, query, leader, export
):
    login_as(leader)
    response = client.get(LIST + query)
    assert response.status_code == 200
    if "trang" not in query and "xa" not in query:
        assert response.context["form"].errors
    assert {e.commune_name for e in response.context["page"].object_list} == {"Xã Nghi Dương"}
    # The export ignores what the page shows as an error (its filters are the valid ones).
    sheet = load_workbook(io.BytesIO(export(query)[1])).active
    assert sheet["A1"].value == "NHẬT KÝ HOẠT ĐỘNG"


def test_pages_of_fifty(client, demo, login_as, leader):
    first = mark() + 1
    for n in range(60):
        audit_record(action=A.EXPORT, user=leader, summary=f"Mục {n}")
    login_as(leader)
    page_one = client.get(LIST + "?thao-tac=export")
    assert len(page_one.context["page"].object_list) == 50
    assert summaries(page_one)[0] == "Mục 59"
    page_two = client.get(LIST + "?thao-tac=export&trang=2")
    assert summaries(page_two)[-1] == "Mục 0"
    assert page_two.context["page"].object_list[len(page_two.context["page"]) - 1].id == first
    assert "thao-tac=export" in page_one.content.decode().split("Sau »")[0].rsplit("href=", 1)[1]


# Expect 8 queries: session, user, the filter's people and units, the count, the page;
# for a leader their membership and the navigation bar's commune, for an administrator
# the filter's communes and the (absent) membership the navigation bar looks for.
LIST_QUERIES = "session, user, people, units, count, page, membership, communes or commune, bell"


@pytest.mark.parametrize("username", ["lanhdao", "admin"])
def test_page_queries_do_not_grow_with_the_rows(client, trail, login_as, username):
    login_as(username)
    with at_most(9, LIST_QUERIES) as few:
        assert client.get(LIST).status_code == 200
    leader = trail.user("lanhdao")
    for n in range(80):
        audit_record(action=A.EXPORT, user=leader, summary=f"Mục {n}")
    with at_most(9, LIST_QUERIES) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)


# -- export ---------------------------------------------------------------------------------------


@pytest.fixture
def export(client, django_capture_on_commit_callbacks):
    """POST the page's "Xuất Excel" with a query: the job runs at the commit (no broker), from
    the address the request came from; gives the job and the file it made."""

    def post(query: str = "") -> tuple[Job, bytes]:
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(EXPORT + query, REMOTE_ADDR="198.51.100.4")
        job = Job.objects.filter(kind="reports.trail_xlsx").first()
        assert job is not None and started["Location"] == reverse("jobs:detail", args=[job.pk])
        assert job.state == Job.State.DONE, job.error
        download = client.get(reverse("jobs:download", args=[job.pk]))
        assert download["Content-Disposition"].startswith(
            'attachment; filename="nhat-ky-hoat-dong-'
        )
        return job, b"".join(download.streaming_content)

    return post


def test_export_reads_back_as_the_filtered_list_with_text_kept_as_text(
    client, trail, login_as, leader, export
):
    login_as(leader)
    start = mark()
    job, data = export("?thao-tac=score_comment")
    assert job.params["back"] == LIST + "?thao-tac=score_comment"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "NHẬT KÝ HOẠT ĐỘNG"
    assert "Bộ lọc: Thao tác: Góp ý." in sheet["A2"].value
    header = [cell.value for cell in sheet[3]]
    assert header[:3] == ["Số thứ tự", "Thời điểm", "Người thực hiện"]
    data = list(sheet.iter_rows(min_row=4))
    assert len(data) == 1  # the other commune's comment is not ours
    row = {header[i]: cell for i, cell in enumerate(data[0])}
    comment = AuditEntry.objects.get(action=A.SCORE_COMMENT, commune_id=trail.commune.pk)
    assert row["Số thứ tự"].value == comment.id
    assert row["Thời điểm"].value == comment.at.astimezone(HANOI).replace(
        tzinfo=None, microsecond=row["Thời điểm"].value.microsecond
    )
    assert row["Thời điểm"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert (row["Người thực hiện"].value, row["Đơn vị"].value) == (
        "Hoàng Văn Minh",
        "Phòng Kinh tế",
    )
    assert row["Nội dung"].value == "Góp ý tiêu chí 2.2.b. =1+1 đã gửi số liệu"
    assert row["Nội dung"].data_type == "s"
    assert row["Mã băm"].value == comment.hash
    # The export is itself on the record.
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.commune_name) == (
        A.EXPORT,
        "lanhdao",
        "Xã Nghi Dương",
    )
    assert entry.details == {"filters": {"thao-tac": "score_comment"}, "rows": 1}
    assert entry.ip == "198.51.100.4"  # the request's, though the worker made the file


def test_an_export_link_opened_with_get_starts_nothing(client, trail, login_as, leader):
    """An old bookmark: GET goes back to the list with its filters."""
    login_as(leader)
    response = client.get(EXPORT + "?thao-tac=score_comment")
    assert response["Location"] == LIST + "?thao-tac=score_comment"
    assert not Job.objects.exists()


def test_the_same_filters_while_it_runs_give_the_same_export(client, trail, login_as, leader):
    login_as(leader)
    first = client.post(EXPORT + "?thao-tac=score_comment")
    again = client.post(EXPORT + "?thao-tac=score_comment")
    other = client.post(EXPORT + "?thao-tac=login")
    assert first["Location"] == again["Location"] != other["Location"]
    assert Job.objects.count() == 2


def test_the_page_posts_its_export_with_the_filters(client, trail, login_as, leader):
    login_as(leader)
    page = client.get(LIST + "?thao-tac=score_comment").content.decode()
    assert '<form method="post" action="/nhat-ky/tai-ve.xlsx?thao-tac=score_comment">' in page


def test_a_typed_formula_stays_text_in_the_export(client, demo, login_as, administrator, export):
    client.post(reverse("login"), {"username": '=HYPERLINK("http://x")', "password": "x"})
    login_as(administrator)
    sheet = load_workbook(io.BytesIO(export("?thao-tac=login_failed")[1])).active
    cells = [cell for row in sheet.iter_rows(min_row=4) for cell in row if cell.value]
    typed = [cell for cell in cells if cell.value == '=HYPERLINK("http://x")']
    assert typed and all(cell.data_type == "s" for cell in typed)


def test_export_is_capped_and_says_so(client, demo, login_as, monkeypatch, leader, export):
    monkeypatch.setattr("reports.trail_export.EXPORT_MAX_ROWS", 3)
    for n in range(5):
        audit_record(action=A.EXPORT, user=leader, summary=f"Mục {n}")
    login_as(leader)
    sheet = load_workbook(io.BytesIO(export("?thao-tac=export")[1])).active
    assert sheet["A3"].value.startswith("Chỉ gồm 3 mục mới nhất")
    assert [row[8] for row in sheet.iter_rows(min_row=5, values_only=True)] == [
        "Mục 4",
        "Mục 3",
        "Mục 2",
    ]


# -- admin ----------------------------------------------------------------------------------------


def test_admin_lists_entries_read_only(client, trail, login_as, administrator):
    login_as(administrator)
    entry = AuditEntry.objects.first()
    changelist = client.get(reverse("admin:audit_auditentry_changelist") + "?action__exact=export")
    assert changelist.status_code == 200
    assert "Việc của quản trị" in changelist.content.decode()
    detail = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    response = client.post(
        reverse("admin:audit_auditentry_change", args=[entry.pk]), {"summary": "Đã sửa"}
    )
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).summary == entry.summary
