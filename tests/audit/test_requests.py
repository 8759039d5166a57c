"""What is recorded from requests: logins and their failures, lockouts, files taken away
(exports and downloads), account and membership changes in the admin; and from where."""

from __future__ import annotations

import sys

import pytest
from axes.signals import user_locked_out
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import Membership, Unit
from assessments.services import score_comment
from audit import receivers
from audit.models import AuditEntry
from audit.services import chain_verify
from reports.demo.signing import DEMO_PASSPHRASE
from reports.services.dossier import dossier_build
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.audit.conftest import mark, only_entry, since
from tests.audit.test_recording import _report, score_of, upload
from tests.conftest import DEMO_PASSWORD
from tests.jobs.follow import through_job

A = AuditEntry.Action
User = get_user_model()


# -- logins ---------------------------------------------------------------------------------------


def test_login_logout_and_failure_through_the_login_page(client, demo):
    start = mark()
    client.post(
        reverse("login"),
        {"username": "vhxh", "password": "sai-mat-khau"},
        REMOTE_ADDR="198.51.100.20",
        HTTP_USER_AGENT="Mozilla/5.0 (X11) Firefox/140.0",
    )
    failed = only_entry(start)
    assert failed.action == A.LOGIN_FAILED
    # Nobody is logged in: the typed name is kept, the account it names is the object, and
    # its commune's leaders see the attempt.
    assert (failed.user_id, failed.username, failed.full_name) == (None, "vhxh", "")
    assert (failed.target_type, failed.target_label) == ("auth.user", "Tài khoản vhxh")
    assert failed.commune_name == "Xã Nghi Dương"
    assert (failed.ip, failed.user_agent) == ("198.51.100.20", "Mozilla/5.0 (X11) Firefox/140.0")
    assert failed.details == {"account_exists": True}

    start = mark()
    response = client.post(
        reverse("login"),
        {"username": "vhxh", "password": DEMO_PASSWORD},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302
    login = only_entry(start)
    assert (login.action, login.username, login.full_name) == (A.LOGIN, "vhxh", "Trần Thị Mai")
    assert (login.commune_name, login.unit_name, login.ip) == (
        "Xã Nghi Dương",
        "Phòng Văn hóa - Xã hội",
        "198.51.100.20",
    )

    start = mark()
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.20")
    logout = only_entry(start)
    assert (logout.action, logout.username) == (A.LOGOUT, "vhxh")


def test_failed_login_with_an_unknown_name_is_kept_as_typed(client, demo):
    start = mark()
    client.post(reverse("login"), {"username": "=cmd|' /C calc'!A0", "password": "x"})
    entry = only_entry(start)
    assert (entry.username, entry.commune_id, entry.target_type) == ("=cmd|' /C calc'!A0", None, "")
    assert entry.details == {"account_exists": False}


def test_admin_login_failures_are_recorded_too(client, demo):
    start = mark()
    client.post(reverse("admin:login"), {"username": "admin", "password": "sai"})
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.commune_id) == (A.LOGIN_FAILED, "admin", None)


def test_lockout_is_recorded_with_the_accounts_commune(demo):
    request = RequestFactory().post("/dang-nhap/", REMOTE_ADDR="198.51.100.9")
    start = mark()
    receivers.locked_out(
        sender=None, request=request, username="lanhdao", ip_address="198.51.100.9"
    )
    entry = only_entry(start)
    assert entry.action == A.LOCKED_OUT
    assert entry.get_action_display() == "Khóa đăng nhập"
    assert (entry.username, entry.commune_name, entry.ip) == (
        "lanhdao",
        "Xã Nghi Dương",
        "198.51.100.9",
    )


def test_attempts_refused_while_locked_out_are_not_recorded_one_by_one(demo):
    request = RequestFactory().post("/dang-nhap/")
    request.axes_locked_out = True  # django-axes refused it before the password was checked
    start = mark()
    receivers.login_failed(sender=None, credentials={"username": "lanhdao"}, request=request)
    assert since(start) == []


def test_one_lockout_is_one_entry_however_many_attempts_follow(client, demo):
    start = mark()
    for _ in range(9):
        client.post(
            reverse("login"),
            {"username": "vhxh", "password": "sai"},
            REMOTE_ADDR="198.51.100.20",
        )

    actions = [entry.action for entry in since(start)]
    assert actions.count(A.LOCKED_OUT) == 1
    assert actions.count(A.LOGIN_FAILED) == 4  # the fifth failure is the lockout


def test_lockouts_are_heard_from_django_axes_only_when_it_is_installed(demo):
    if apps.is_installed("axes"):
        start = mark()
        user_locked_out.send(
            "axes",
            request=RequestFactory().post("/dang-nhap/"),
            username="vhxh",
            ip_address="198.51.100.9",
        )
        assert only_entry(start).action == A.LOCKED_OUT
    else:
        # Importing axes.signals without the app installed would fail and would hook axes'
        # handlers to every login: the audit app must not have done it.
        assert "axes.signals" not in sys.modules


# -- files taken away -----------------------------------------------------------------------------


def test_evidence_zip_download_is_recorded(client, demo, login_as, own_staff):
    upload(demo, own_staff)
    login_as(own_staff)
    start = mark()
    response = client.get(reverse("evidence:archive", args=[demo.assessment.pk]))
    b"".join(response.streaming_content)
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.commune_name) == (
        A.EXPORT,
        "vhxh",
        "Xã Nghi Dương",
    )
    assert entry.summary == "Tải ZIP minh chứng minh-chung-nghi-duong-2026-6-thang.zip (1 tệp)"
    assert entry.ip == "127.0.0.1"


@pytest.mark.parametrize("view, verb", [("", "Tải về"), ("?xem=1", "Mở xem")])
def test_evidence_file_download_is_recorded(
    client, demo, login_as, view, verb, own_staff, other_staff
):
    evidence = upload(demo, own_staff)
    login_as(other_staff)
    url = reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id])
    start = mark()
    response = client.get(url + view)
    assert response.status_code == 200
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.target_label) == (
        A.DOWNLOAD,
        "kinhte",
        "Minh chứng MC-2.2.b-01",
    )
    assert entry.summary == f"{verb} tệp bien-ban.pdf (phiên bản 1)"
    assert entry.details["sha256"] == evidence.current_file.sha256


def test_refused_download_records_nothing(client, demo, login_as, own_staff, outsider):
    evidence = upload(demo, own_staff)
    login_as(outsider)
    start = mark()
    url = reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id])
    assert client.get(url).status_code == 404
    assert [e.action for e in since(start)] == []


@pytest.mark.parametrize(
    "name, summary",
    [
        ("reports:pdf", "Xuất báo cáo (PDF)"),
        ("reports:docx", "Xuất báo cáo (Word)"),
        ("reports:appendix_pdf", "Xuất phụ lục (PDF)"),
        ("reports:appendix_xlsx", "Xuất phụ lục (Excel)"),
        ("reports:appendix_docx", "Xuất phụ lục (Word)"),
    ],
)
def test_report_exports_are_recorded(
    client,
    demo_scored,
    login_as,
    name,
    summary,
    secretary,
    leader,
    django_capture_on_commit_callbacks,
):
    report = _report(demo_scored, secretary)
    login_as(leader)
    start = mark()
    # A PDF is made by a job first (no entry), then downloaded (one entry).
    url = reverse(name, args=[demo_scored.assessment.pk, report.pk])
    response = through_job(client, url, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.summary) == (A.EXPORT, "lanhdao", summary)
    assert entry.target_label == "Dự thảo báo cáo 6 tháng 2026"


def test_units_table_export_is_recorded(client, demo, login_as, secretary):
    login_as(secretary)
    start = mark()
    response = client.get(reverse("reports:units_xlsx", args=[demo.assessment.pk]))
    assert response.status_code == 200
    entry = only_entry(start)
    assert (entry.action, entry.username) == (A.EXPORT, "vanthu")
    assert entry.summary.startswith("Xuất bảng chấm điểm theo đơn vị (Excel)")


def test_issued_files_and_dossier_downloads_are_recorded(
    client, demo_scored, signing, login_as, secretary, chairman
):
    person, organisation = signing
    report = report_issue(report=_report(demo_scored, secretary), by=secretary)
    report_sign_person(report=report, key=person, secret=DEMO_PASSPHRASE, by=person.owner)
    report_sign_organisation(report=report, key=organisation, secret=DEMO_PASSPHRASE, by=secretary)
    dossier = dossier_build(report=report, by=secretary)
    login_as(chairman)
    pk = demo_scored.assessment.pk

    start = mark()
    client.get(reverse("reports:latest", args=[pk, report.pk, "report"]) + "?xem=1")
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.target_label) == (
        A.DOWNLOAD,
        "chutich",
        "Báo cáo số 01/BC-UBND",
    )
    assert entry.summary == "Mở xem báo cáo, đã ký (cơ quan): bao-cao-so-01-da-ky-co-quan.pdf"

    start = mark()
    response = client.get(reverse("reports:dossier_download", args=[pk, report.pk, dossier.pk]))
    assert response.status_code == 200
    entry = only_entry(start)
    assert (
        entry.summary
        == "Tải về hồ sơ gửi thành phố ho-so-chinh-quyen-than-thien-2026-bao-cao-so-01.zip"
    )
    assert entry.details == {"dossier_id": dossier.pk, "sha256": dossier.sha256}


# -- accounts and memberships in the admin ---------------------------------------------------------


def _membership_data(membership: Membership, **changes) -> dict:
    data = {
        "user": membership.user_id,
        "commune": membership.commune_id,
        "unit": membership.unit_id or "",
        "role": membership.role,
        "title": membership.title,
    }
    return {**data, **changes}


def test_role_change_in_the_admin_is_recorded(client, demo, login_as, administrator):
    membership = Membership.objects.get(user__username="vhxh")
    login_as(administrator)
    start = mark()
    response = client.post(
        reverse("admin:assessments_membership_change", args=[membership.pk]),
        _membership_data(membership, role="leader", unit="", title="Phó Chủ tịch UBND xã"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = only_entry(start)
    assert (entry.action, entry.username, entry.commune_name) == (
        A.MEMBERSHIP_CHANGE,
        "admin",
        "Xã Nghi Dương",
    )
    assert entry.target_label == "Thành viên vhxh"
    assert entry.summary == (
        "Đổi Trần Thị Mai (vhxh): Xã Nghi Dương, Cán bộ, công chức, Công chức Văn hóa - Xã hội, "
        "Phòng Văn hóa - Xã hội → Xã Nghi Dương, Lãnh đạo UBND, Phó Chủ tịch UBND xã"
    )
    assert entry.details["role"] == "leader"


def test_membership_added_and_removed_in_the_admin_are_recorded(
    client, demo, login_as, administrator
):
    newcomer = User.objects.create_user(username="moi", first_name="Ngô", last_name="Mới")
    unit = Unit.objects.get(commune=demo.commune, name="Phòng Kinh tế")
    login_as(administrator)
    start = mark()
    response = client.post(
        reverse("admin:assessments_membership_add"),
        {"user": newcomer.pk, "commune": demo.commune.pk, "unit": unit.pk, "role": "staff"},
    )
    assert response.status_code == 302
    added = only_entry(start)
    assert added.summary == "Thêm Ngô Mới (moi) vào Xã Nghi Dương: Cán bộ, công chức, Phòng Kinh tế"

    membership = Membership.objects.get(user=newcomer)
    start = mark()
    client.post(
        reverse("admin:assessments_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    removed = only_entry(start)
    assert (removed.action, removed.commune_name) == (A.MEMBERSHIP_DELETE, "Xã Nghi Dương")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_account_rights_password_and_removal_in_the_admin_are_recorded(
    client, demo, login_as, administrator
):
    account = User.objects.get(username="lanhdao")
    login_as(administrator)
    start = mark()
    response = client.post(
        reverse("admin:auth_user_change", args=[account.pk]),
        {
            "username": "lanhdao",
            "full_name": account.get_full_name(),
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = only_entry(start)
    assert (changed.action, changed.commune_name) == (A.ACCOUNT_CHANGE, "Xã Nghi Dương")
    assert changed.details["changes"]["is_superuser"] is True
    assert changed.summary == (
        "Sửa tài khoản Lưu Thị Tươi (lanhdao): được vào trang quản trị, toàn quyền quản trị, "
        "ngày tham gia"
    )

    start = mark()
    response = client.post(
        reverse("admin:auth_user_password_change", args=[account.pk]),
        {
            "password1": "Mat-khau-moi-8812",
            "password2": "Mat-khau-moi-8812",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    reset = only_entry(start)
    assert reset.summary == "Đặt lại mật khẩu của tài khoản Lưu Thị Tươi (lanhdao)"
    assert "Mat-khau" not in str(reset.details) + reset.summary

    leaving = User.objects.create_user(username="tam", first_name="Tạm", last_name="Thời")
    start = mark()
    client.post(reverse("admin:auth_user_delete", args=[leaving.pk]), {"post": "yes"})
    removed = only_entry(start)
    assert (removed.action, removed.target_id) == (A.ACCOUNT_DELETE, str(leaving.pk))
    assert not User.objects.filter(pk=leaving.pk).exists()
    assert chain_verify().ok


# -- where from -----------------------------------------------------------------------------------


def test_address_behind_a_trusted_proxy(client, demo, login_as, settings, own_staff):
    settings.TRUSTED_PROXY_COUNT = 1
    evidence = upload(demo, own_staff)
    login_as(own_staff)
    start = mark()
    client.get(
        reverse("evidence:download", args=[demo.assessment.pk, evidence.current_file_id]),
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.50",  # forged first hop, then the real one
    )
    assert only_entry(start).ip == "203.0.113.50"


def test_services_outside_a_request_record_no_address(demo, other_staff):
    start = mark()
    score = score_of(demo, "2.2.b")

    score_comment(score=score, by=other_staff, comment="Ghi chú.")
    entry = only_entry(start)
    assert (entry.ip, entry.user_agent) == ("", "")


def test_failed_login_with_a_nul_in_the_name_is_recorded_without_it(demo):
    start = mark()
    receivers.login_failed(
        sender=None, credentials={"username": "vh\x00xh"}, request=RequestFactory().post("/")
    )
    entry = only_entry(start)
    assert (entry.username, entry.target_label) == ("vhxh", "Tài khoản vhxh")
