"""Each malformed input that used to give HTTP 500 (issue 9 point 6), now refused with a
Vietnamese message or ignored, and nothing written. test_input_fuzz.py sweeps every field;
these pin the message and the outcome of each fix, on SQLite and on PostgreSQL."""

from __future__ import annotations

import unicodedata

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import recovery_codes_replace
from assessments.models import AdjustmentEntry, Assessment, AssessmentEvent, ScoreEvent
from assessments.services import MAX_CASES, adjustment_record
from evidence.models import EvidenceEvent, EvidenceLink
from evidence.selectors import evidence_search
from evidence.services import evidence_upload
from guards.inputs import NUL_MESSAGE
from reports.demo.signing import DEMO_PASSPHRASE, demo_signing_setup
from reports.models import Report, ReportSection, SignatureRecord, SigningKey
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.signing import report_sign_person
from tests.accounts.helpers import totp_code
from tests.assessments.test_score_views import messages_of, url
from tests.conftest import DEMO_PASSWORD
from tests.evidence.conftest import pdf_bytes

NFD = unicodedata.normalize("NFD", "Đã họp với Nghi Dương")
NFC = "Đã họp với Nghi Dương"
NOT_AN_ID = ["abc", "9" * 400, "1e309", "NaN", "²", "a\x00b", ""]


def adjustment_url(demo) -> str:
    deduction = demo.assessment.criteria_set.adjustments.get(kind="deduction")
    return reverse("assessments:adjustment", args=[demo.assessment.pk, deduction.pk])


# -- numbers and ids ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cases,message",
    [
        ("9" * 400, f"Số trường hợp tối đa là {MAX_CASES}."),
        (str(MAX_CASES + 1), f"Số trường hợp tối đa là {MAX_CASES}."),
        ("abc", "Số trường hợp phải là số nguyên không âm."),
        ("²", "Số trường hợp phải là số nguyên không âm."),
        ("1e309", "Số trường hợp phải là số nguyên không âm."),
        ("-1", "Số trường hợp phải là số nguyên không âm."),
    ],
)
def test_adjustment_cases_must_be_a_small_whole_number(
    client, demo, login_as, cases, message, leader
):
    login_as(leader)
    response = client.post(adjustment_url(demo), {"cases": cases, "note": "x"}, follow=True)
    assert messages_of(response) == [message]
    assert not AdjustmentEntry.objects.exists()
    assert not AssessmentEvent.objects.exists()


def test_adjustment_service_refuses_more_cases_than_the_limit(demo, leader):
    deduction = demo.assessment.criteria_set.adjustments.get(kind="deduction")
    with pytest.raises(ValidationError, match=f"từ 0 đến {MAX_CASES}"):
        adjustment_record(
            assessment=demo.assessment,
            adjustment=deduction,
            cases=10**400,
            note="",
            by=leader,
        )
    assert not AdjustmentEntry.objects.exists()


@pytest.fixture
def evidence(demo, own_staff):
    """An evidence of 1.1.j (Phòng Văn hóa - Xã hội) to reuse for 1.1.g, the same unit's."""
    return evidence_upload(
        assessment=demo.assessment,
        criterion=demo.assessment.criteria_set.criteria.get(code="1.1.j"),
        upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes()),
        by=own_staff,
    ).evidence


def link_url(demo) -> str:
    criterion = demo.assessment.criteria_set.criteria.get(code="1.1.g")
    return reverse("evidence:link", args=[demo.assessment.pk, criterion.pk])


def test_link_to_something_that_is_no_evidence_id(client, demo, login_as, evidence, own_staff):
    login_as(own_staff)
    for value in NOT_AN_ID:
        response = client.post(link_url(demo), {"evidence": value}, follow=True)
        assert messages_of(response) == ["Không tìm thấy minh chứng này; hãy tìm lại rồi chọn."]
    assert EvidenceLink.objects.count() == 1  # its own sub-criterion only
    assert not EvidenceEvent.objects.filter(action="link").exists()


def test_link_to_an_evidence_of_another_commune(
    client, demo, login_as, evidence, outsider_staff, own_staff
):
    other = evidence_upload(
        assessment=demo.other_assessment,
        criterion=demo.other_assessment.criteria_set.criteria.get(code="1.1.j"),
        upload=SimpleUploadedFile("Khác.pdf", pdf_bytes(pages=2)),
        by=outsider_staff,
    ).evidence
    login_as(own_staff)
    response = client.post(link_url(demo), {"evidence": other.pk}, follow=True)
    assert "Không tìm thấy minh chứng này; hãy tìm lại rồi chọn." in messages_of(response)
    assert not other.links.exclude(criterion=other.criterion).exists()


def test_link_still_works(client, demo, login_as, evidence, own_staff):
    login_as(own_staff)
    response = client.post(link_url(demo), {"evidence": evidence.pk}, follow=True)
    assert f"Đã dùng minh chứng {evidence.code} cho tiêu chí 1.1.g." in messages_of(response)


FILTER_VALUES = ["²", "9" * 400, "abc", "-1", "a\x00b"]


@pytest.mark.parametrize(
    "name,param",
    [
        ("assessments:detail", "don-vi"),
        ("evidence:overview", "don-vi"),
        ("evidence:overview", "tieu-chi"),
        ("evidence:search", "tieu-chi"),
    ],
)
def test_filters_that_are_no_ids_are_ignored(client, demo, login_as, name, param, own_staff):
    login_as(own_staff)
    for value in FILTER_VALUES:
        response = client.get(reverse(name, args=[demo.assessment.pk]), {param: value})
        assert response.status_code == 200, value


def test_the_archive_of_a_criterion_that_is_no_id_is_not_found(client, demo, login_as, own_staff):
    login_as(own_staff)
    archive = reverse("evidence:archive", args=[demo.assessment.pk])
    for value in FILTER_VALUES:
        assert client.get(archive, {"tieu-chi": value}).status_code == 404, value


# -- text: NUL, length, NFC -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["evidence:search", "evidence:overview"])
def test_nul_in_the_search_box_is_answered_in_vietnamese(
    client, demo, login_as, evidence, name, own_staff
):
    login_as(own_staff)
    response = client.get(reverse(name, args=[demo.assessment.pk]), {"q": "bien\x00ban"})
    assert response.status_code == 200
    html = response.content.decode()
    assert NUL_MESSAGE in html
    assert evidence.code not in html.split('data-testid="search-error"')[1]


@pytest.mark.parametrize("name", ["evidence:search", "evidence:overview"])
def test_a_search_of_a_whole_page_of_words_is_answered(client, demo, login_as, name, own_staff):
    login_as(own_staff)
    response = client.get(reverse(name, args=[demo.assessment.pk]), {"q": "bien ban " * 5000})
    assert response.status_code == 200
    assert "Từ khóa dài quá 200 ký tự." in response.content.decode()


def test_the_search_selector_takes_at_most_twenty_words(demo, evidence):
    # SQLite refused 10 000 conditions ("Expression tree is too large").
    assert list(evidence_search(demo.assessment, q="bien " * 10_000)) == [evidence]
    assert list(evidence_search(demo.assessment, q="bien " * 20 + "khong-co")) == [evidence]
    assert list(evidence_search(demo.assessment, q="bien " * 19 + "khong-co")) == []


def test_the_search_still_finds(client, demo, login_as, evidence, own_staff):
    login_as(own_staff)
    response = client.get(reverse("evidence:search", args=[demo.assessment.pk]), {"q": "bien"})
    assert evidence.code in response.content.decode()


def test_nul_in_the_lock_reason_is_refused(client, demo, login_as, leader):
    login_as(leader)
    response = client.post(url("lock", demo), {"reason": "a\x00b"}, follow=True)
    assert messages_of(response) == [f"Lý do khóa: {NUL_MESSAGE}"]
    assert Assessment.objects.get(pk=demo.assessment.pk).status == "open"


def test_nul_in_the_adjustment_note_is_refused(client, demo, login_as, leader):
    login_as(leader)
    response = client.post(adjustment_url(demo), {"cases": "1", "note": "a\x00b"}, follow=True)
    assert messages_of(response) == [NUL_MESSAGE]
    assert not AdjustmentEntry.objects.exists()


def test_a_comment_typed_decomposed_is_stored_composed(client, demo, login_as, other_staff):
    login_as(other_staff)
    client.post(url("score_comment", demo, "1.1.j"), {"comment": NFD})
    assert ScoreEvent.objects.get().comment == NFC


def test_a_lock_reason_typed_decomposed_is_stored_composed(client, demo, login_as, leader):
    login_as(leader)
    client.post(url("lock", demo), {"reason": NFD})
    assert AssessmentEvent.objects.get().reason == NFC


@pytest.fixture
def draft(demo, secretary):
    return report_create(assessment=demo.assessment, by=secretary)


def test_a_report_section_typed_decomposed_is_stored_composed(
    client, demo, draft, login_as, secretary
):
    section = draft.sections.exclude(body="").first()
    login_as(secretary)
    client.post(
        reverse("reports:section_save", args=[demo.assessment.pk, draft.pk, section.pk]),
        {"version": section.version, "body": NFD},
    )
    assert ReportSection.objects.get(pk=section.pk).body == NFC


def test_nul_in_the_issue_reason_is_refused(client, demo, draft, login_as, leader):
    login_as(leader)
    response = client.post(
        reverse("reports:issue", args=[demo.assessment.pk, draft.pk]),
        {"override_reason": "a\x00b"},
        follow=True,
    )
    assert messages_of(response) == [f"Lý do ban hành khi chưa duyệt hết: {NUL_MESSAGE}"]
    assert Report.objects.get(pk=draft.pk).status == "draft"


# -- signing --------------------------------------------------------------------------------------


@pytest.fixture
def issued(demo, draft, leader):
    demo_signing_setup(commune=demo.commune)
    return report_issue(report=draft, by=leader, override_reason="Kiểm thử.")


KEY_REFUSED = "Hãy chọn khóa ký số của Đồng chí (hoặc của cơ quan khi đóng dấu)."


def sign(client, demo, report, **data):
    return client.post(
        reverse("reports:sign", args=[demo.assessment.pk, report.pk]), data, follow=True
    )


def test_signing_with_something_that_is_no_key(client, demo, issued, login_as, leader):
    login_as(leader)
    for value in NOT_AN_ID:
        response = sign(
            client, demo, issued, key=value, secret=DEMO_PASSPHRASE, step="person", confirm="on"
        )
        assert messages_of(response) == [KEY_REFUSED], value
    assert not SignatureRecord.objects.exists()


def test_signing_with_a_key_of_another_commune(client, demo, issued, login_as, leader):
    demo_signing_setup(commune=demo.other_commune)
    other = SigningKey.objects.filter(commune=demo.other_commune, owner__isnull=False).get()
    login_as(leader)
    response = sign(
        client, demo, issued, key=other.pk, secret=DEMO_PASSPHRASE, step="person", confirm="on"
    )
    assert KEY_REFUSED in messages_of(response)
    assert not SignatureRecord.objects.exists()


def test_a_nul_in_the_passphrase_is_refused_not_a_crash(client, demo, issued, login_as, leader):
    key = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    login_as(leader)
    response = sign(client, demo, issued, key=key.pk, secret="a\x00b", step="person", confirm="on")
    assert "Mật khẩu có ký tự không hợp lệ; hãy gõ lại." in messages_of(response)
    assert not SignatureRecord.objects.exists()


def test_the_signing_service_refuses_a_nul_in_the_passphrase(demo, issued, secretary):
    # cryptography panics on it: a BaseException that no `except Exception` would catch.
    key = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    with pytest.raises(ValidationError, match="ký tự NUL"):
        report_sign_person(report=issued, key=key, secret="a\x00b", by=key.owner)


def test_an_unknown_signing_step_is_refused(client, demo, issued, login_as, leader):
    key = SigningKey.objects.get(commune=demo.commune, owner__isnull=False)
    login_as(leader)
    response = sign(client, demo, issued, key=key.pk, secret=DEMO_PASSPHRASE, step="ca-hai")
    assert "Dữ liệu ký số không hợp lệ; hãy tải lại trang." in messages_of(response)
    assert not SignatureRecord.objects.exists()


# -- text in the URL ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["a%00b", "Nghi%20D%C6%B0%C6%A1ng", "abc"])
def test_a_verification_link_that_is_no_token_is_not_found(client, db, token):
    assert client.get(f"/xac-minh/{token}/").status_code == 404


@pytest.mark.parametrize("kind", ["a%00b", "abc"])
def test_latest_of_a_kind_that_does_not_exist_is_not_found(
    client, demo, issued, login_as, kind, secretary
):
    login_as(secretary)
    base = reverse("reports:latest", args=[demo.assessment.pk, issued.pk, "report"])
    assert client.get(base).status_code == 200
    assert client.get(base.replace("/report/", f"/{kind}/")).status_code == 404


@pytest.mark.parametrize("object_id", ["abc", "a%00b", "9" * 400])
def test_admin_export_of_a_criteria_set_that_is_no_id_is_not_found(
    client, demo, login_as, object_id, administrator
):
    login_as(administrator)
    response = client.get(f"/admin/criteria/criteriaset/{object_id}/xlsx/")
    assert response.status_code == 404


# -- where a form goes back to --------------------------------------------------------------------


@pytest.mark.parametrize("target", ["abc", "-1", "NaN", "a\x00b", "//example.com/x"])
def test_a_next_that_is_no_path_on_the_portal_falls_back(client, demo, login_as, target, leader):
    login_as(leader)
    response = client.post(url("lock", demo), {"reason": "x", "next": target})
    assert response.status_code == 302
    assert response.url == reverse("assessments:detail", args=[demo.assessment.pk])


# -- the second factor's pages --------------------------------------------------------------------


@pytest.fixture
def with_app(demo, chairman):
    """A leader with an authenticator app and recovery codes (a login then asks for a code)."""
    user = chairman
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    recovery_codes_replace(user=user)
    return device


@pytest.mark.parametrize("target", ["abc", "-1", "NaN", "a\x00b", "//example.com/x"])
def test_a_next_after_the_code_that_is_no_path_on_the_portal_falls_back(
    client, demo, login_as, with_app, target, chairman
):
    login_as(chairman)
    verify = reverse("accounts:verify")
    response = client.post(verify, {"code": totp_code(with_app), "next": target})
    assert response.status_code == 302
    assert response.url == reverse("home")
    # Verified now: the page sends on at once, to the `next` of its address.
    response = client.get(verify, {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.parametrize("target", ["abc", "1e309", "a\x00b"])
def test_a_next_after_the_recovery_codes_that_is_no_path_on_the_portal_falls_back(
    client, demo, login_as, with_app, target, chairman
):
    login_as(chairman)
    client.post(reverse("accounts:verify"), {"code": totp_code(with_app)})
    response = client.post(reverse("accounts:codes"), {"next": target})
    assert response.status_code == 302
    assert response.url == reverse("accounts:security")


def test_nul_in_a_code_is_answered_in_vietnamese(
    client, demo, login_as, with_app, chairman, own_staff
):
    login_as(chairman)
    response = client.post(reverse("accounts:verify"), {"code": "12\x003456"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [NUL_MESSAGE]
    login_as(own_staff)
    response = client.post(reverse("accounts:enrol"), {"code": "12\x003456"})
    assert response.context["form"].errors["code"] == [NUL_MESSAGE]
    assert not TOTPDevice.objects.filter(user=own_staff, confirmed=True).exists()


# -- logins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dang-nhap/", "/admin/login/"])
@pytest.mark.parametrize(
    "username,message",
    [
        # Longer than django-axes' column: a 500 on PostgreSQL, before the form checked it.
        ("v" * 400, "Giá trị này chỉ có tối đa 150 kí tự (hiện có 400)"),
        ("vhxh\x00", NUL_MESSAGE),
    ],
)
def test_a_username_no_account_can_have_is_a_form_error(client, demo, path, username, message):
    response = client.post(path, {"username": username, "password": "demo12345"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [message]
    assert not AccessAttempt.objects.exists()


def test_the_login_forms_still_log_in(client, demo):
    response = client.post("/dang-nhap/", {"username": "vhxh", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    client.logout()
    response = client.post("/admin/login/", {"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
