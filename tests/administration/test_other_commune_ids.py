"""Xã An Lão's ids posted to xã Nghi Dương's forms: every choice of a unit, a person, an
evidence, a signing key or a report's part is limited to the commune, and the server refuses
another commune's id (a form error or 404), nothing saved.

The criteria sets and their levels are the city's, shared by every commune (a level is
chosen for an assessment only in the Django admin, limited there to its set's levels)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import reverse

from assessments.models import Assignment, Score, UnitDeadline
from evidence.models import EvidenceLink
from evidence.services import evidence_upload
from reports.forms import RemoteSignForm, SignForm
from reports.models import ImplementingDocument, Report, SigningKey
from reports.services import report_create
from reports.trail_filters import EntryFilterForm
from tests.evidence.conftest import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def an_lao(demo):
    """Ids that exist, all of xã An Lão."""
    unit = demo.other_commune.units.get(short_name="VHXH")
    return {
        "unit": unit,
        "leader": demo.user("anlao_lanhdao"),
        "assignment": demo.other_assessment.assignments.select_related("criterion").first(),
    }


def _assignment(demo, code="2.2.e"):
    return Assignment.objects.get(assessment=demo.assessment, criterion__code=code)


def _other_evidence(demo):
    assignment = (
        Assignment.objects.filter(assessment=demo.other_assessment, lead_unit__short_name="VHXH")
        .select_related("criterion")
        .first()
    )
    outcome = evidence_upload(
        assessment=demo.other_assessment,
        criterion=assignment.criterion,
        upload=SimpleUploadedFile("Biên bản An Lão.pdf", pdf_bytes(), "application/pdf"),
        by=demo.user("anlao_vhxh"),
    )
    assert outcome.status == "stored", outcome.message
    return outcome.evidence


def _draft(client, demo, secretary) -> Report:
    client.force_login(secretary)
    assert client.post(reverse("reports:home", args=[demo.assessment.pk])).status_code == 302
    return demo.assessment.reports.get()


def test_assignment_units_of_another_commune_are_refused(client, demo, leader, an_lao):
    assignment = _assignment(demo)
    before = (
        assignment.lead_unit_id,
        set(assignment.supporting_units.values_list("pk", flat=True)),
    )
    url = reverse("assessments:assignment_edit", args=[demo.assessment.pk, assignment.criterion_id])
    client.force_login(leader)
    for data in (
        {"lead_unit": an_lao["unit"].pk},
        {"lead_unit": assignment.lead_unit_id, "supporting_units": [an_lao["unit"].pk]},
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors, data
    # the offered choices are the commune's
    offered = response.context["form"].fields["lead_unit"].queryset
    assert set(offered.values_list("commune_id", flat=True)) == {demo.commune.pk}
    assignment.refresh_from_db()
    after = (assignment.lead_unit_id, set(assignment.supporting_units.values_list("pk", flat=True)))
    assert after == before


def test_a_unit_deadline_for_another_communes_unit_is_404(client, demo, leader, an_lao):
    client.force_login(leader)
    for name, data in (
        ("assessments:unit_deadline", {"deadline": "2026-12-15", "reason": "Thử.", "expected": ""}),
        ("assessments:unit_deadline_remove", {"reason": "Thử."}),
    ):
        url = reverse(name, args=[demo.assessment.pk, an_lao["unit"].pk])
        assert client.post(url, data).status_code == 404
    assert not UnitDeadline.objects.filter(unit=an_lao["unit"]).exists()


def test_the_report_signer_must_be_a_leader_of_the_commune(client, demo, secretary, an_lao):
    draft = _draft(client, demo, secretary)
    before = draft.signer_id
    response = client.post(
        reverse("reports:edit", args=[demo.assessment.pk, draft.pk]),
        {
            "summary": "Báo cáo",
            "signer": an_lao["leader"].pk,
            "authority": "deputy",
            "signer_name": "",
            "recipients": "Như trên",
            "save_settings": "1",
        },
    )
    assert response.status_code == 200
    assert "signer" in response.context["settings_form"].errors
    offered = response.context["settings_form"].fields["signer"].queryset
    assert an_lao["leader"] not in offered
    draft.refresh_from_db()
    assert draft.signer_id == before


def test_the_review_queue_filters_and_approves_only_the_commune(client, demo, leader, an_lao):
    other = Score.objects.filter(assessment=demo.other_assessment).first()
    Score.objects.filter(pk=other.pk).update(status=Score.Status.SUBMITTED)
    other.refresh_from_db()
    client.force_login(leader)
    queue = reverse("assessments:queue", args=[demo.assessment.pk])
    response = client.get(queue, {"don-vi": an_lao["unit"].pk})
    assert response.status_code == 200
    assert response.context["queue"].unit is None  # another commune's unit: no such filter
    assert set(response.context["units"].values_list("commune_id", flat=True)) == {demo.commune.pk}
    assert other.pk not in {item.score.pk for item in response.context["queue"].items}
    response = client.post(
        reverse("assessments:queue_approve", args=[demo.assessment.pk]),
        {"muc": f"{other.pk}:{other.version}"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == Score.Status.SUBMITTED


def test_another_communes_evidence_is_neither_linked_nor_reused(client, demo, own_staff):
    evidence = _other_evidence(demo)
    links = EvidenceLink.objects.count()
    assignment = _assignment(demo)
    client.force_login(own_staff)
    for name in ("evidence:link", "evidence:reuse"):
        url = reverse(name, args=[demo.assessment.pk, assignment.criterion_id])
        response = client.post(url, {"evidence": evidence.pk}, follow=True)
        shown = [str(m) for m in response.context["messages"]]
        assert any(m.startswith("Không tìm thấy minh chứng này") for m in shown), (name, shown)
    unlink = reverse(
        "evidence:unlink", args=[demo.assessment.pk, assignment.criterion_id, evidence.pk]
    )
    assert client.post(unlink).status_code == 404
    detail = reverse("evidence:detail", args=[demo.assessment.pk, evidence.pk])
    assert client.post(detail, {"title": "Đổi tên"}).status_code == 404
    assert EvidenceLink.objects.count() == links
    evidence.refresh_from_db()
    assert evidence.title != "Đổi tên"


def test_another_communes_report_parts_are_404(client, demo, secretary):
    draft = _draft(client, demo, secretary)
    other = report_create(assessment=demo.other_assessment, by=demo.user("anlao_lanhdao"))
    task = other.tasks.create(text="Nhiệm vụ An Lão", created_by=demo.user("anlao_lanhdao"))
    section = other.sections.first()
    document = ImplementingDocument.objects.create(
        assessment=demo.other_assessment, number="1/UBND", summary="An Lão", created_by=secretary
    )
    client.force_login(secretary)
    pk = demo.assessment.pk
    assert client.get(reverse("reports:edit", args=[pk, other.pk])).status_code == 404
    for url, data in (
        (reverse("reports:task_edit", args=[pk, draft.pk, task.pk]), {"text": "Đổi"}),
        (reverse("reports:task_delete", args=[pk, draft.pk, task.pk]), {}),
        (reverse("reports:section_save", args=[pk, draft.pk, section.pk]), {"body": "Đổi", "version": section.version}),
        (reverse("reports:document_edit", args=[pk, document.pk]), {"number": "2/UBND"}),
        (reverse("reports:document_delete", args=[pk, document.pk]), {}),
    ):  # fmt: skip
        assert client.post(url, data).status_code == 404, url
    document.refresh_from_db()
    task.refresh_from_db()
    section.refresh_from_db()
    assert (document.number, task.text) == ("1/UBND", "Nhiệm vụ An Lão")
    assert section.body != "Đổi"


def test_signing_keys_of_another_commune_are_not_offered(demo, leader, an_lao):
    key = SigningKey.objects.create(
        commune=demo.other_commune, owner=an_lao["leader"], label="An Lão", kind=SigningKey.Kind.CSC,
        csc_credential_id="anlao-01",
    )  # fmt: skip
    shared = SigningKey.objects.create(commune=demo.other_commune, label="Dấu An Lão")
    form = SignForm(
        {"step": "organisation", "key": shared.pk, "secret": "x", "confirm": "on"},
        commune=demo.commune,
        user=leader,
    )
    assert not form.is_valid() and "key" in form.errors
    form = RemoteSignForm({"key": key.pk, "confirm": "on"}, user=leader, commune=demo.commune)
    assert not form.is_valid() and "key" in form.errors


def test_the_audit_filters_offer_only_the_leaders_commune(demo, leader, an_lao):
    data = QueryDict(mutable=True)
    data["don-vi"] = str(an_lao["unit"].pk)
    data["nguoi"] = str(an_lao["leader"].pk)
    form = EntryFilterForm(data, user=leader, every_commune=False)
    assert not form.is_valid()
    assert {"unit", "person"} <= set(form.errors)
