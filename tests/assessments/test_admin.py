"""The Django admin keeps to one commune and one criteria set, and speaks Vietnamese (issue 13):
each choice offered is the object's commune's units / the assessment's set's levels, and a
posted id of another commune or set is refused with a Vietnamese message, nothing saved."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Assignment, Membership, Unit
from audit.models import AuditEntry
from criteria.models import CriteriaSet, Level
from reports.models import SigningKey, VerificationFailure
from tests.queries import at_most

pytestmark = pytest.mark.django_db


def _form_data(response) -> dict:
    """What the browser would post back unchanged: the main form and every inline form."""
    data = {}
    context = response.context
    forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = value
    return data


def _choices(form, name: str) -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in form.fields[name].choices if value != ""]


@pytest.fixture
def other_set_level(demo):
    other = CriteriaSet.objects.create(title="Bộ tiêu chí khác")
    return Level.objects.create(
        criteria_set=other, name="Mức 9", min_points=Decimal("0"), max_points_exclusive=None
    )


def _assessment_url(assessment: Assessment) -> str:
    return reverse("admin:assessments_assessment_change", args=[assessment.pk])


def _inline_index(response, assignment: Assignment) -> int:
    formset = response.context["inline_admin_formsets"][0].formset
    return next(i for i, form in enumerate(formset.forms) if form.instance.pk == assignment.pk)


# -- What is offered ------------------------------------------------------------------------


def test_the_assignment_lists_offer_only_the_communes_units(client, demo, login_as, administrator):
    login_as(administrator)
    response = client.get(_assessment_url(demo.assessment))
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    own = {str(pk) for pk in Unit.objects.filter(commune=demo.commune).values_list("pk", flat=True)}
    assert own
    for name in ("lead_unit", "supporting_units"):
        assert {value for value, _ in _choices(form, name)} == own


def test_the_registered_level_lists_only_the_sets_levels_labelled(
    client, demo, login_as, administrator, other_set_level
):
    login_as(administrator)
    response = client.get(_assessment_url(demo.assessment))
    choices = _choices(response.context["adminform"].form, "target_level")
    levels = Level.objects.filter(criteria_set=demo.assessment.criteria_set)
    assert {value for value, _ in choices} == {str(level.pk) for level in levels}
    set_name = str(demo.assessment.criteria_set)
    assert all(label.endswith(f" – {set_name}") for _, label in choices)


def test_a_new_assessment_names_each_levels_set(client, demo, login_as, administrator):
    login_as(administrator)
    response = client.get(reverse("admin:assessments_assessment_add"))
    choices = _choices(response.context["adminform"].form, "target_level")
    assert len(choices) == Level.objects.count()
    assert all(" – " in label for _, label in choices)


def test_the_membership_unit_list_is_the_members_communes(client, demo, login_as, administrator):
    membership = demo.user("vhxh").membership
    login_as(administrator)
    url = reverse("admin:assessments_membership_change", args=[membership.pk])
    choices = _choices(client.get(url).context["adminform"].form, "unit")
    own = Unit.objects.filter(commune=demo.commune).values_list("pk", flat=True)
    assert {value for value, _ in choices} == {str(pk) for pk in own}


def test_the_assignment_rows_cost_no_query_each(client, demo, login_as, administrator):
    login_as(administrator)
    url = _assessment_url(demo.assessment)
    what = (
        "session, user, assessment (+ commune, set, level), the commune's units, the "
        "assignments with criterion and lead, their supporting units, the level choices, ..."
    )
    # Expect 11 (was 245: four per row); the ceiling leaves room for the admin's own reads.
    with at_most(14, what) as few:
        html = client.get(url).content.decode()
    assignment = demo.assessment.assignments.exclude(lead_unit=None).first()
    assert assignment is not None
    selected = f'<option value="{assignment.lead_unit_id}" selected>'
    assert selected in html
    # 14 queries for 47 rows: nothing is read per row.
    assert demo.assessment.assignments.count() > len(few)


# -- What is refused ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["lead_unit", "supporting_units"])
def test_another_communes_unit_is_refused_and_nothing_saved(
    client, demo, login_as, administrator, own_criterion, field
):
    login_as(administrator)
    url = _assessment_url(demo.assessment)
    response = client.get(url)
    data = _form_data(response)
    foreign = Unit.objects.filter(commune=demo.other_commune).first()
    assert foreign is not None
    index = _inline_index(response, own_criterion)
    data[f"assignments-{index}-{field}"] = [str(foreign.pk)] if field != "lead_unit" else foreign.pk
    records = AuditEntry.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "không thuộc xã của kỳ đánh giá" in html
    assert "Hãy sửa các lỗi được nêu dưới đây." in html
    own_criterion.refresh_from_db()
    assert own_criterion.lead_unit is not None
    assert own_criterion.lead_unit.commune_id == demo.commune.pk
    assert not own_criterion.supporting_units.filter(commune=demo.other_commune).exists()
    assert AuditEntry.objects.count() == records


def test_a_change_of_assignment_goes_through_the_service(
    client, demo, login_as, administrator, own_criterion
):
    login_as(administrator)
    url = _assessment_url(demo.assessment)
    response = client.get(url)
    data = _form_data(response)
    index = _inline_index(response, own_criterion)
    other = Unit.objects.filter(commune=demo.commune).exclude(pk=own_criterion.lead_unit_id)[0]
    data[f"assignments-{index}-lead_unit"] = other.pk
    response = client.post(url, data)
    assert response.status_code == 302
    own_criterion.refresh_from_db()
    assert own_criterion.lead_unit == other
    assert own_criterion.updated_by == administrator
    record = AuditEntry.objects.filter(details__lead_unit=other.pk).latest("pk")
    assert "Phân công tiêu chí 2.2.e" in record.summary


def test_the_lead_cannot_also_support(client, demo, login_as, administrator, own_criterion):
    login_as(administrator)
    url = _assessment_url(demo.assessment)
    response = client.get(url)
    data = _form_data(response)
    index = _inline_index(response, own_criterion)
    data[f"assignments-{index}-supporting_units"] = [str(own_criterion.lead_unit_id)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "không thể đồng thời là đơn vị phối hợp" in response.content.decode()
    assert not own_criterion.supporting_units.exists()


def test_another_sets_level_is_refused(client, demo, login_as, administrator, other_set_level):
    login_as(administrator)
    url = _assessment_url(demo.assessment)
    data = _form_data(client.get(url))
    before = demo.assessment.target_level_id
    data["target_level"] = other_set_level.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Mức đăng ký không thuộc bộ tiêu chí của kỳ đánh giá." in response.content.decode()
    demo.assessment.refresh_from_db()
    assert demo.assessment.target_level_id == before


def test_the_model_refuses_another_sets_level(demo, other_set_level):
    demo.assessment.target_level = other_set_level
    with pytest.raises(ValidationError, match="không thuộc bộ tiêu chí"):
        demo.assessment.full_clean()


def test_a_membership_in_another_communes_unit_is_refused(client, demo, login_as, administrator):
    membership = demo.user("vhxh").membership
    login_as(administrator)
    url = reverse("admin:assessments_membership_change", args=[membership.pk])
    data = _form_data(client.get(url))
    foreign = Unit.objects.filter(commune=demo.other_commune).first()
    assert foreign is not None
    data["unit"] = foreign.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Hãy chọn một đơn vị của xã." in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).unit_id == membership.unit_id


def test_a_new_membership_with_another_communes_unit_is_refused(
    client, demo, login_as, administrator, django_user_model
):
    person = django_user_model.objects.create_user("moi", password="x" * 12)
    foreign = Unit.objects.filter(commune=demo.other_commune).first()
    assert foreign is not None
    login_as(administrator)
    response = client.post(
        reverse("admin:assessments_membership_add"),
        {"user": person.pk, "commune": demo.commune.pk, "unit": foreign.pk, "role": "staff"},
    )
    assert response.status_code == 200
    assert "Đơn vị này không thuộc xã đã chọn." in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_a_staff_membership_without_a_unit_says_so_in_vietnamese(
    client, demo, login_as, administrator, django_user_model
):
    person = django_user_model.objects.create_user("moi", password="x" * 12)
    login_as(administrator)
    response = client.post(
        reverse("admin:assessments_membership_add"),
        {"user": person.pk, "commune": demo.commune.pk, "role": "staff"},
    )
    html = response.content.decode()
    assert "Cán bộ, công chức phải thuộc một đơn vị của xã." in html
    assert "Constraint" not in html
    assert not Membership.objects.filter(user=person).exists()


# -- In Vietnamese --------------------------------------------------------------------------


def test_the_admin_pages_speak_vietnamese(client, demo, login_as, administrator):
    login_as(administrator)
    changelist = client.get(reverse("admin:assessments_membership_changelist")).content.decode()
    assert "Hiện số lượng" in changelist or "Ẩn số lượng" in changelist
    user_page = client.get(
        reverse("admin:auth_user_change", args=[demo.user("vhxh").pk])
    ).content.decode()
    assert "Password-based authentication" not in user_page
    add_user = client.get(reverse("admin:auth_user_add")).content.decode()
    assert "Đăng nhập bằng mật khẩu" in add_user
    for english in ("Show counts", "Skip to main content", "Toggle theme", "Password-based"):
        assert english not in changelist + user_page + add_user


# Words Django or a library leaves in English (or in a literal Vietnamese that reads wrong), and
# the apps' own codes, none of which an administrator should meet on these pages.
ENGLISH = (
    "Show counts",
    "Password-based authentication",
    "Please correct the error below",
    "Models in the",
    "mô models",
    "superuser",
    "Superuser",
    "static device",
    "static token",
    "TOTP device",
    "(otp_static)",
    "(otp_totp)",
    "(assessments)",
    "(contenttypes)",
    "Sessions",
    "Bản ghi nhớ",
    "Thêm vào",
    "Bởi ",
    "Can add",
    "Can change",
)


def _visible_text(html: str) -> str:
    """The page's words and its tooltips, without markup, scripts and styles (whose names
    and code are English)."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    tips = re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', html)
    return " ".join([re.sub(r"<[^>]+>", " ", html), *tips])


def test_the_admin_index_and_the_user_pages_contain_no_english(
    client, demo, login_as, administrator
):
    login_as(administrator)
    account = demo.user("vhxh")
    pages = {
        "index": reverse("admin:index"),
        "user": reverse("admin:auth_user_change", args=[account.pk]),
        "users": reverse("admin:auth_user_changelist"),
        "add user": reverse("admin:auth_user_add"),
    }
    for name, url in pages.items():
        text = _visible_text(client.get(url).content.decode())
        for english in ENGLISH:
            assert english not in text, (name, english)
    user_page = _visible_text(client.get(pages["user"]).content.decode())
    assert "Toàn quyền quản trị" in user_page
    assert "Được vào trang quản trị" in user_page
    assert "Thêm ứng dụng xác thực (Xác thực hai lớp – ứng dụng)" in user_page
    assert "Xem mã dự phòng (Xác thực hai lớp – mã dự phòng)" in user_page
    # Django's own Vietnamese calls an admin log entry a "login".
    assert "Xem mục nhật ký trang quản trị (Quản trị website)" in user_page
    assert "Xem đăng nhập (Quản trị website)" not in user_page


@pytest.mark.parametrize(
    "model",
    ["issuedfile", "signaturerecord", "documentevent", "dossier", "numbersequence", "trustanchor"],
)
def test_the_reports_admin_lists_have_vietnamese_columns(
    client, demo, login_as, administrator, model
):
    login_as(administrator)
    page = client.get(reverse(f"admin:reports_{model}_changelist"))
    assert page.status_code == 200
    headers = re.findall(r'<th scope="col"[^>]*>.*?</th>', page.content.decode(), flags=re.S)
    text = _visible_text(" ".join(headers))
    assert headers
    for english in (
        "Report",
        "Kind",
        "Stage",
        "Size",
        "Created",
        "Common name",
        "Issuer",
        "Serial",
        "Signed at",
        "Level",
        "Action",
        "User",
        "Year",
        "Last number",
        "Commune",
        "Role",
    ):
        assert english not in text, (model, english)


def test_failed_verifications_are_listed_by_their_words(client, demo, login_as, administrator):
    failure = VerificationFailure.objects.create(
        day=timezone.localdate(),
        address="203.0.113.7",
        verdict="modified",
        count=2,
        last_at=timezone.now(),
    )
    login_as(administrator)
    url = reverse("admin:reports_verificationfailure_changelist")
    page = _visible_text(client.get(url).content.decode())
    assert "Bị thay đổi sau khi ký" in page
    assert re.search(r"\bmodified\b", page) is None
    filtered = client.get(url, {"ket-qua": "modified"})
    assert list(filtered.context["cl"].result_list) == [failure]
    assert not client.get(url, {"ket-qua": "foreign"}).context["cl"].result_list


def test_a_refused_user_form_says_so_in_vietnamese(client, demo, login_as, administrator):
    login_as(administrator)
    response = client.post(reverse("admin:auth_user_add"), {"username": ""})
    text = _visible_text(response.content.decode())
    assert response.status_code == 200
    assert "Please correct" not in text
    assert "Vui lòng sửa lỗi" in text or "Hãy sửa" in text


def test_a_signing_key_of_another_communes_person_is_refused(
    client, demo, login_as, administrator, outsider, leader
):
    login_as(administrator)
    url = reverse("admin:reports_signingkey_add")
    keys = SigningKey.objects.count()
    choices = _choices(client.get(url).context["adminform"].form, "owner")
    assert any(label.endswith(f" – {demo.commune}") for _, label in choices)
    assert str(administrator.pk) not in {value for value, _ in choices}  # no commune
    response = client.post(
        url,
        {"commune": demo.commune.pk, "owner": outsider.pk, "label": "Khóa", "kind": "pkcs11"},
    )
    assert response.status_code == 200
    assert "Người ký này không thuộc xã đã chọn." in response.content.decode()
    assert SigningKey.objects.count() == keys


def test_the_account_pages_speak_vietnamese(client, demo, login_as, administrator):
    login_as(administrator)
    account = demo.user("vhxh")
    user_page = client.get(reverse("admin:auth_user_change", args=[account.pk])).content.decode()
    assert "Thêm đơn vị (Xã và kỳ đánh giá)" in user_page
    assert "Can add" not in user_page
    password = reverse("admin:auth_user_password_change", args=[account.pk])
    password_page = client.get(password).content.decode()
    assert "Nếu tắt, mật khẩu hiện tại của tài khoản này sẽ mất." in password_page
    assert "If disabled" not in password_page
    scripts = client.get(reverse("admin:jsi18n")).content.decode()
    assert "Ch\\u1ecdn t\\u1ea5t c\\u1ea3 %s" in scripts or "Chọn tất cả %s" in scripts


def test_a_new_membership_names_each_units_commune(client, demo, login_as, administrator):
    login_as(administrator)
    choices = _choices(
        client.get(reverse("admin:assessments_membership_add")).context["adminform"].form, "unit"
    )
    assert len(choices) == Unit.objects.count()
    assert any(label.endswith(f" – {demo.other_commune}") for _, label in choices)
