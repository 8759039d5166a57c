"""Who signs what, in which order (Nghị định 30/2020, Điều 14): the leader the report names as
its signer applies the person's signature from their own account, with their own key; then
the secretary (văn thư) applies the organisation's signature (the seal). Nobody applies
another person's signature: not the secretary, another leader, staff, an outsider or an
administrator, not even with the signer's key and passphrase. Also the "Chờ ký" lists, their
query counts, and the notices sent once per event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.access import may_sign_organisation, may_sign_person
from notifications.models import Notification
from reports.demo.signing import DEMO_PASSPHRASE
from reports.models import Report, SignatureRecord
from reports.selectors import reports_awaiting_signature
from reports.services import report_create
from reports.services.issuing import report_issue
from reports.services.notices import report_issued_notify
from reports.services.signing import report_sign_organisation, report_sign_person
from tests.queries import at_most, exactly

pytestmark = pytest.mark.django_db

ROLES = ["leader", "chairman", "secretary", "own_staff", "outsider", "administrator"]
"""`leader` is the report's named signer (the demo's Phó Chủ tịch); `chairman` another leader."""


@pytest.fixture
def who(request):
    return lambda role: request.getfixturevalue(role)


def _sign_person(report, key, by, secret=DEMO_PASSPHRASE):
    return report_sign_person(report=report, key=key, secret=secret, by=by)


def _seal(report, key, by):
    return report_sign_organisation(report=report, key=key, secret=DEMO_PASSPHRASE, by=by)


# -- the person's signature -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_named_signer_applies_the_persons_signature(issued, keys, who, role):
    person, _organisation = keys
    assert person.owner == issued.signer
    user = who(role)
    assert may_sign_person(user, issued) is (role == "leader")
    if role == "leader":
        _sign_person(issued, person, user)
        record = SignatureRecord.objects.get()
        assert (record.role, record.by) == ("person", user)
    else:
        with pytest.raises(ValidationError, match="người ký ghi trên báo cáo"):
            _sign_person(issued, person, user)  # the signer's own key and passphrase
        assert not SignatureRecord.objects.exists()


def test_the_signer_signs_with_their_own_key_only(issued, keys, leader, chairman):
    """Not with the seal's key, not with another leader's key."""
    _person, organisation = keys
    with pytest.raises(ValidationError, match="khóa ký số của chính Đồng chí"):
        _sign_person(issued, organisation, leader)
    issued.signer = chairman  # the chairman's report, signed with the vice-chairwoman's key
    issued.signer_name = chairman.get_full_name()
    issued.authority = Report.Authority.CHAIRMAN
    issued.save()
    with pytest.raises(ValidationError, match="khóa ký số của chính Đồng chí"):
        _sign_person(issued, _person, chairman)
    assert not SignatureRecord.objects.exists()


def test_the_person_signs_once(issued, keys, leader):
    person, _organisation = keys
    _sign_person(issued, person, leader)
    with pytest.raises(ValidationError, match="đã ký báo cáo này"):
        _sign_person(issued, person, leader)
    assert SignatureRecord.objects.count() == 1


def test_a_signer_who_moved_to_another_commune_cannot_sign(issued, keys, leader, demo_scored):
    person, _organisation = keys
    leader.membership.commune = demo_scored.other_commune
    leader.membership.save()
    with pytest.raises(ValidationError, match="người ký ghi trên báo cáo"):
        _sign_person(issued, person, leader)


# -- the organisation's signature (the seal) ----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_secretary_seals_and_only_after_the_person(issued, keys, leader, who, role):
    person, organisation = keys
    user = who(role)
    with pytest.raises(ValidationError):  # before the person signed: nobody
        _seal(issued, organisation, user)
    assert not may_sign_organisation(user, issued)
    _sign_person(issued, person, leader)
    issued = Report.objects.get(pk=issued.pk)
    allowed = role in ("secretary", "administrator")
    assert may_sign_organisation(user, issued) is allowed
    if allowed:
        _seal(issued, organisation, user)
        assert SignatureRecord.objects.filter(role="organisation").count() == 2  # + appendix
    else:
        with pytest.raises(ValidationError, match="Chỉ văn thư được đóng dấu"):
            _seal(issued, organisation, user)
        assert not SignatureRecord.objects.filter(role="organisation").exists()


def test_the_seal_is_never_made_with_a_persons_key(issued, keys, leader, secretary):
    person, _organisation = keys
    _sign_person(issued, person, leader)
    with pytest.raises(ValidationError, match="khóa ký số của cơ quan"):
        _seal(issued, person, secretary)
    assert SignatureRecord.objects.count() == 1


def test_the_order_and_the_refusals_through_the_page(
    client, issued, keys, demo_scored, login_as, leader, secretary, chairman
):
    """The secretary posting the signer's key (as person or as seal) is refused; so is the
    signer posting the seal; the signer signs, then the secretary seals."""
    person, organisation = keys
    url = reverse("reports:sign", args=[demo_scored.assessment.pk, issued.pk])

    def post(step, key, **extra):
        data = {"step": step, "key": key.pk, "secret": DEMO_PASSPHRASE, "confirm": "on"}
        return client.post(url, {**data, **extra}, follow=True)

    login_as(secretary)
    assert post("person", person).status_code == 403
    assert "Hãy chọn khóa ký số của Đồng chí" in post("organisation", person).content.decode()
    login_as(chairman)
    assert post("person", person).status_code == 403
    assert post("organisation", organisation).status_code == 403
    login_as(leader)
    assert post("organisation", organisation).status_code == 403
    assert not SignatureRecord.objects.exists()
    page = post("person", person, confirm="").content.decode()
    assert "Hãy đánh dấu “Tôi đã đọc văn bản và đồng ý ký” trước khi ký." in page
    assert not SignatureRecord.objects.exists()
    assert "đã ký số báo cáo; chờ văn thư đóng dấu" in post("person", person).content.decode()
    login_as(secretary)
    assert "Đã đóng dấu" in post("organisation", organisation).content.decode()
    assert list(SignatureRecord.objects.values_list("role", "by__username")) == [
        ("person", "lanhdao"),
        ("organisation", "vanthu"),
        ("organisation", "vanthu"),
    ]


def test_the_issued_page_offers_each_person_their_step(
    client, issued, keys, demo_scored, login_as, leader, secretary, chairman
):
    person, organisation = keys
    url = reverse("reports:issued", args=[demo_scored.assessment.pk, issued.pk])

    def page(user):
        login_as(user)
        return client.get(url).content.decode()

    mine = page(leader)
    assert 'data-testid="sign-person"' in mine and "Tôi đã đọc văn bản và đồng ý ký" in mine
    assert (
        f'<option value="{person.pk}"' in mine and f'<option value="{organisation.pk}"' not in mine
    )
    for other in (secretary, chairman):
        text = page(other)
        assert 'data-testid="sign-person"' not in text
        assert "Chờ Phó Chủ tịch Lưu Thị Tươi ký." in text
        assert f'<option value="{person.pk}"' not in text  # nobody else is offered the signer's key
    _sign_person(issued, person, leader)
    sealing = page(secretary)
    assert (
        'data-testid="sign-organisation"' in sealing and "Đóng dấu (ký số của cơ quan)" in sealing
    )
    assert (
        f'<option value="{organisation.pk}"' in sealing
        and f'<option value="{person.pk}"' not in sealing
    )
    assert "Chờ văn thư đóng dấu" in page(leader)
    assert 'data-testid="sign-organisation"' not in page(chairman)


# -- issuing names a leader as signer -------------------------------------------------------------


def test_issuing_needs_a_leader_as_signer(draft, secretary, own_staff):
    draft.signer = None
    draft.save()
    with pytest.raises(ValidationError, match="chưa ghi người ký"):
        report_issue(report=draft, by=secretary)
    draft.signer = own_staff
    draft.save()
    with pytest.raises(ValidationError, match="không phải lãnh đạo"):
        report_issue(report=draft, by=secretary)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None


def test_the_issue_box_names_the_signer_or_says_one_is_missing(
    client, draft, demo_scored, login_as, secretary
):
    url = reverse("reports:edit", args=[demo_scored.assessment.pk, draft.pk])
    login_as(secretary)
    box = client.get(url).content.decode()
    assert "Sau khi ban hành, Phó Chủ tịch Lưu Thị Tươi ký số bằng tài khoản của mình" in box
    draft.signer = None
    draft.save()
    assert "Báo cáo chưa ghi người ký" in client.get(url).content.decode()


# -- "Chờ ký" and "Chờ đóng dấu" ------------------------------------------------------------------


def test_the_awaiting_lists_follow_the_signing(
    issued, keys, leader, chairman, secretary, own_staff
):
    person, organisation = keys

    def lists(user):
        awaiting = reports_awaiting_signature(user)
        return [r.pk for r in awaiting.to_sign], [r.pk for r in awaiting.to_seal]

    assert lists(leader) == ([issued.pk], [])
    assert lists(chairman) == lists(secretary) == lists(own_staff) == ([], [])
    _sign_person(issued, person, leader)
    assert lists(leader) == ([], [])
    assert lists(secretary) == ([], [issued.pk])
    _seal(issued, organisation, secretary)
    assert lists(leader) == lists(secretary) == ([], [])


def test_a_replaced_report_waits_for_nobody(issued, demo_scored, leader, secretary):
    correction = report_issue(
        report=report_create(assessment=demo_scored.assessment, by=secretary), by=secretary
    )
    assert [r.pk for r in reports_awaiting_signature(leader).to_sign] == [correction.pk]


def _more_issued(issued, count):
    for number in range(count):
        Report.objects.create(
            assessment=issued.assessment,
            kind=issued.kind,
            status=Report.Status.ISSUED,
            summary=f"Báo cáo thêm {number}",
            number=100 + number,
            issue_date=issued.issue_date,
            issued_at=timezone.now(),
            signer=issued.signer,
            signer_name=issued.signer_name,
            recipients="Lưu: VT",
            created_by=issued.created_by,
        )


def test_the_dashboard_says_what_waits_in_constant_queries(
    client, issued, demo_scored, login_as, leader, secretary
):
    url = reverse("reports:dashboard", args=[demo_scored.assessment.pk])
    login_as(leader)
    # 21: the dashboard, the frozen banner's report, the awaiting list, and the panel of the
    # dossier to the city (issue 14: its submission, the latest issued report, the round).
    budget = "the dashboard, frozen banner, awaiting list, dossier panel"
    with at_most(21, budget) as few:
        page = client.get(url).content.decode()
    assert "Chờ ký (1)" in page
    assert reverse("reports:issued", args=[demo_scored.assessment.pk, issued.pk]) in page
    _more_issued(issued, 5)
    with at_most(21, budget) as many:
        page = client.get(url).content.decode()
    assert "Chờ ký (6)" in page
    assert len(many) == len(few)
    login_as(secretary)
    assert 'data-testid="awaiting-signature"' not in client.get(url).content.decode()


def test_the_awaiting_selector_costs_two_queries(issued, leader, secretary):
    _more_issued(issued, 8)
    leader.refresh_from_db()
    with exactly(2, "membership, the reports with their assessment and signer"):
        awaiting = reports_awaiting_signature(leader)
        assert awaiting.count == 9
        for report in awaiting.to_sign:
            assert report.assessment.year and report.signer.username == "lanhdao"
    secretary.refresh_from_db()
    with exactly(2, "membership, the reports to seal"):
        assert reports_awaiting_signature(secretary).count == 0


# -- notices, once each ------------------------------------------------------------------------------


def test_issuing_and_signing_notify_once(issued, keys, leader, chairman, secretary):
    person, organisation = keys

    def notices(user, kind):
        return list(Notification.objects.filter(user=user, kind=kind))

    [awaiting] = notices(leader, Notification.Kind.AWAITING_SIGNATURE)
    assert awaiting.title == "Báo cáo số 01/BC-UBND chờ Đồng chí ký"
    assert awaiting.url == reverse("reports:issued", args=[issued.assessment_id, issued.pk])
    [told] = notices(chairman, Notification.Kind.ISSUED)
    assert told.title.startswith("Đã ban hành Báo cáo số 01/BC-UBND")
    assert not notices(leader, Notification.Kind.ISSUED)  # the signer has theirs
    assert not Notification.objects.filter(user=secretary).exists()  # who issued it
    report_issued_notify(report=issued, by=secretary)  # again: nothing new
    assert Notification.objects.filter(user__in=[leader, chairman]).count() == 2

    with pytest.raises(ValidationError):
        _sign_person(issued, person, leader, secret="sai-mat-khau")
    assert not Notification.objects.filter(user=secretary).exists()  # nothing was signed
    awaiting.refresh_from_db()
    assert not awaiting.is_read
    _sign_person(issued, person, leader)
    awaiting.refresh_from_db()
    assert awaiting.is_read  # signed: the leader's "chờ ký" is done
    [seal] = notices(secretary, Notification.Kind.AWAITING_SIGNATURE)
    assert seal.title == "Báo cáo số 01/BC-UBND chờ đóng dấu (ký số của cơ quan)"
    assert not seal.is_read
    _seal(issued, organisation, secretary)
    seal.refresh_from_db()
    assert seal.is_read  # sealed: the secretary's "chờ đóng dấu" is done
    assert Notification.objects.filter(user=secretary).count() == 1
    assert Notification.objects.filter(user=leader).count() == 1
