"""Evidence discipline (issue 12): points without evidence are warned about, and an approved
sub-criterion's evidence is changed by nobody until a leader returns it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Score
from assessments.selectors import missing_evidence, scores_missing_evidence
from assessments.services import score_approve, score_propose, score_return
from criteria.models import CriteriaSet, Criterion
from criteria.rules import fmt_points
from evidence.models import Evidence
from evidence.services import evidence_delete, evidence_link, evidence_upload
from tests.evidence.conftest import pdf_bytes
from tests.queries import at_most

LEAF = "2.2.e"  # led by Phòng Văn hóa - Xã hội (own_staff's unit)
OTHER = "1.1.j"  # also led by it, max 3 points


def leaf(demo, code=LEAF) -> Criterion:
    return Criterion.objects.get(criteria_set=demo.assessment.criteria_set, code=code)


def score_of(demo, code=LEAF) -> Score:
    return Score.objects.select_related("criterion", "assessment").get(
        assessment=demo.assessment, criterion__code=code
    )


def upload(demo, by, code=LEAF, name="bien-ban.pdf") -> Evidence:
    return evidence_upload(
        assessment=demo.assessment,
        criterion=leaf(demo, code),
        upload=SimpleUploadedFile(name, pdf_bytes()),
        by=by,
    ).evidence


def full_points(demo, code=LEAF) -> D:
    return leaf(demo, code).max_points


def submitted(demo, by, code=LEAF) -> Score:
    score = score_of(demo, code)
    return score_propose(
        score=score,
        by=by,
        expected_version=score.version,
        points=full_points(demo, code),
        result_text="Đã thực hiện.",
        submit=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# -- The selector ---------------------------------------------------------------------------------


def test_missing_evidence_own_linked_deleted_and_the_option(demo, own_staff, leader):
    a, b = submitted(demo, own_staff), submitted(demo, own_staff, OTHER)
    with at_most(1, "one query for any number of scores"):
        assert missing_evidence([a, b]) == {a.pk, b.pk}
    evidence = upload(demo, own_staff)  # its own sub-criterion: a has evidence
    assert missing_evidence([a, b]) == {b.pk}
    evidence_link(evidence=evidence, criterion=leaf(demo, OTHER), by=own_staff)  # b, linked
    assert missing_evidence([a, b]) == set()
    evidence_delete(evidence=evidence, by=own_staff)  # deleted evidence counts for nothing
    assert missing_evidence([a, b]) == {a.pk, b.pk}
    assert set(scores_missing_evidence(demo.assessment).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    CriteriaSet.objects.filter(pk=demo.assessment.criteria_set_id).update(evidence_required=False)
    demo.assessment.refresh_from_db()
    assert missing_evidence([a, b]) == set()
    assert not scores_missing_evidence(demo.assessment).exists()
    assert missing_evidence([]) == set()


def test_zero_points_and_not_started_need_no_evidence(demo, own_staff, leader):
    score = score_of(demo)
    score = score_propose(
        score=score,
        by=own_staff,
        expected_version=score.version,
        points=D(0),
        result_text="Chưa làm.",
        shortfall_reason="Chưa bố trí kinh phí.",
        submit=True,
    )
    assert missing_evidence([score, score_of(demo, OTHER)]) == set()
    # Approved: the leaders' points count; adjusted to 0, nothing to prove.
    score = score_approve(score=score, by=leader, expected_version=score.version)
    assert missing_evidence([score]) == set()


# -- Staff are warned before submitting -----------------------------------------------------------


def propose_url(demo, code=LEAF):
    return reverse("assessments:score_propose", args=[demo.assessment.pk, leaf(demo, code).pk])


def page_url(demo, code=LEAF):
    return reverse("assessments:criterion", args=[demo.assessment.pk, leaf(demo, code).pk])


def test_staff_submitting_points_without_evidence_must_confirm(client, demo, login_as, own_staff):
    login_as(own_staff)
    html = client.get(page_url(demo, OTHER)).content.decode()
    assert 'data-testid="evidence-missing"' in html
    assert 'name="confirm_missing_evidence"' in html
    points = full_points(demo, OTHER)
    data = {
        "version": 0,
        "action": "submit",
        "points": str(points),
        "result_text": "Đã tổ chức.",
    }
    response = client.post(propose_url(demo, OTHER), data, follow=True)
    [message] = messages_of(response)
    assert message.startswith(
        f"Tiêu chí {OTHER} chưa có minh chứng nào cho {fmt_points(points)} điểm."
    )
    assert "Vẫn gửi khi chưa có minh chứng" in message
    assert score_of(demo, OTHER).status == "not_started"  # nothing half-written
    # Saving a draft asks nothing; submitting with the confirmation goes through.
    response = client.post(propose_url(demo, OTHER), {**data, "action": "save"}, follow=True)
    assert score_of(demo, OTHER).status == "draft"
    response = client.post(
        propose_url(demo, OTHER),
        {**data, "version": score_of(demo, OTHER).version, "confirm_missing_evidence": "on"},
        follow=True,
    )
    assert score_of(demo, OTHER).status == "submitted"


def test_staff_with_evidence_submit_without_confirming(client, demo, login_as, own_staff):
    upload(demo, own_staff, OTHER)
    login_as(own_staff)
    html = client.get(page_url(demo, OTHER)).content.decode()
    assert 'data-testid="evidence-missing"' not in html
    assert 'name="confirm_missing_evidence"' not in html
    client.post(
        propose_url(demo, OTHER),
        {
            "version": 0,
            "action": "submit",
            "points": str(full_points(demo, OTHER)),
            "result_text": "Có",
        },
    )
    assert score_of(demo, OTHER).status == "submitted"


def test_an_evidence_free_set_asks_nothing(client, demo, login_as, own_staff):
    CriteriaSet.objects.filter(pk=demo.assessment.criteria_set_id).update(evidence_required=False)
    login_as(own_staff)
    assert (
        'data-testid="evidence-missing"' not in client.get(page_url(demo, OTHER)).content.decode()
    )
    client.post(
        propose_url(demo, OTHER),
        {
            "version": 0,
            "action": "submit",
            "points": str(full_points(demo, OTHER)),
            "result_text": "Có",
        },
    )
    assert score_of(demo, OTHER).status == "submitted"


# -- Leaders are warned before approving ----------------------------------------------------------


def review_url(demo, code=LEAF):
    return reverse("assessments:score_review", args=[demo.assessment.pk, leaf(demo, code).pk])


@pytest.mark.parametrize("action", ["approve", "adjust"])
def test_leaders_approving_points_without_evidence_must_confirm(
    client, demo, login_as, own_staff, leader, action
):
    score = submitted(demo, own_staff, OTHER)
    login_as(leader)
    html = client.get(page_url(demo, OTHER)).content.decode()
    assert 'data-testid="evidence-missing"' in html and "Vẫn duyệt khi chưa có minh chứng" in html
    data = {"version": score.version, "action": action, "points": "1", "comment": "Thiếu ảnh."}
    response = client.post(review_url(demo, OTHER), data, follow=True)
    [message] = messages_of(response)
    shown = full_points(demo, OTHER) if action == "approve" else D(1)
    assert message.startswith(
        f"Tiêu chí {OTHER} chưa có minh chứng nào cho {fmt_points(shown)} điểm."
    )
    assert "Vẫn duyệt khi chưa có minh chứng" in message
    assert score_of(demo, OTHER).status == "submitted"
    client.post(review_url(demo, OTHER), {**data, "confirm_missing_evidence": "1"})
    assert score_of(demo, OTHER).status == "approved"


def test_adjusting_to_zero_needs_no_confirmation(client, demo, login_as, own_staff, leader):
    score = submitted(demo, own_staff, OTHER)
    login_as(leader)
    data = {"version": score.version, "action": "adjust", "points": "0", "comment": "Chưa có."}
    client.post(review_url(demo, OTHER), data)
    assert (score_of(demo, OTHER).status, score_of(demo, OTHER).leader_points) == ("approved", D(0))


def test_the_service_checks_only_when_asked(demo, own_staff, leader):
    """Callers that ask no one (imports, the demo) pass None; views pass the person's answer."""
    from django.core.exceptions import ValidationError  # noqa: PLC0415

    score = submitted(demo, own_staff)
    with pytest.raises(ValidationError) as refused:
        score_approve(
            score=score, by=leader, expected_version=score.version, confirm_missing_evidence=False
        )
    assert refused.value.error_list[0].code == "missing_evidence"
    score = score_approve(score=score, by=leader, expected_version=score.version)
    assert score.status == "approved"


# -- The dashboard counts them --------------------------------------------------------------------


def test_dashboard_counts_and_links_to_the_list(client, demo, login_as, own_staff, leader):
    submitted(demo, own_staff)
    submitted(demo, own_staff, OTHER)
    upload(demo, own_staff, OTHER)
    login_as(leader)
    html = client.get(reverse("reports:dashboard", args=[demo.assessment.pk])).content.decode()
    assert "<strong>1</strong> tiêu chí có điểm nhưng chưa có minh chứng" in html
    list_url = reverse("assessments:missing_evidence", args=[demo.assessment.pk])
    assert f'href="{list_url}"' in html
    page = client.get(list_url)
    assert [score.criterion.code for score, _unit in page.context["rows"]] == [LEAF]
    assert f'data-code="{LEAF}"' in page.content.decode()


def test_missing_evidence_list_staff_see_their_unit(client, demo, login_as, own_staff):
    submitted(demo, own_staff)
    submitted(demo, demo.user("ttpvhcc"), "1.2.d")
    list_url = reverse("assessments:missing_evidence", args=[demo.assessment.pk])
    login_as(own_staff)
    codes = [s.criterion.code for s, _u in client.get(list_url).context["rows"]]
    assert codes == [LEAF]
    login_as("lanhdao")
    codes = [s.criterion.code for s, _u in client.get(list_url).context["rows"]]
    assert codes == ["1.2.d", LEAF]


def test_missing_evidence_list_query_count_does_not_grow(client, demo, login_as, own_staff):
    def drafted(code):  # a draft's proposed points count too
        score = score_of(demo, code)
        score_propose(
            score=score,
            by=own_staff,
            expected_version=score.version,
            points=full_points(demo, code),
            result_text="Có.",
        )

    list_url = reverse("assessments:missing_evidence", args=[demo.assessment.pk])
    login_as("lanhdao")
    counts = []
    for codes in ([LEAF], [OTHER, "1.1.g", "1.1.a", "1.1.b"]):
        for code in codes:
            drafted(code)
        with at_most(
            8, "session, user, membership, assessment, assignments, scores, commune, bell"
        ) as q:
            response = client.get(list_url)
        counts.append(len(q))
    assert len(response.context["rows"]) == 5
    assert counts[0] == counts[1], counts


# -- An approved sub-criterion's evidence: one rule for the four actions --------------------------


ACTIONS = ["upload", "describe", "replace", "delete"]


def attempt(client, demo, action, evidence):
    """POST the action the way the pages do; the status code says whether it was allowed."""
    pk = demo.assessment.pk
    if action == "upload":
        return client.post(
            reverse("evidence:upload", args=[pk, evidence.criterion_id]),
            {"files": [SimpleUploadedFile("them.pdf", pdf_bytes(pages=2))]},
            HTTP_ACCEPT="application/json",
        )
    if action == "describe":
        return client.post(
            reverse("evidence:detail", args=[pk, evidence.pk]),
            {"title": "Biên bản đã sửa", "doc_number": "12/BB", "issuer": "UBND xã"},
        )
    if action == "replace":
        return client.post(
            reverse("evidence:replace", args=[pk, evidence.pk]),
            {"file": SimpleUploadedFile("moi.pdf", pdf_bytes(pages=3))},
        )
    return client.post(reverse("evidence:delete", args=[pk, evidence.pk]))


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", ["own_staff", "leader"])
@pytest.mark.parametrize("approved", [False, True], ids=["open", "approved"])
def test_approved_items_evidence(client, demo, login_as, request, action, persona, approved):
    own_staff, leader = request.getfixturevalue("own_staff"), request.getfixturevalue("leader")
    evidence = upload(demo, own_staff)
    score = submitted(demo, own_staff)
    if approved:
        score_approve(score=score, by=leader, expected_version=score.version)
    before = (
        Evidence.objects.filter(assessment=demo.assessment).count(),
        evidence.versions.count(),
    )
    login_as(request.getfixturevalue(persona))
    response = attempt(client, demo, action, evidence)
    evidence.refresh_from_db()
    after = (Evidence.objects.filter(assessment=demo.assessment).count(), evidence.versions.count())
    if not approved:
        assert response.status_code in (200, 302), response.content[:300]
        if action == "upload":
            assert response.json()["results"][0]["status"] == "stored"
        changed = {
            "upload": after[0] == before[0] + 1,
            "describe": evidence.title == "Biên bản đã sửa",
            "replace": after[1] == before[1] + 1,
            "delete": evidence.is_deleted,
        }
        assert changed[action]
        return
    assert response.status_code == 403
    text = response.content.decode()
    assert f"Tiêu chí {LEAF} đã được duyệt" in text
    if persona == "leader":
        assert "lãnh đạo cần trả lại tiêu chí trước" in text
    else:
        assert "đề nghị lãnh đạo trả lại tiêu chí để đơn vị sửa" in text
    assert after == before and evidence.title != "Biên bản đã sửa" and not evidence.is_deleted


@pytest.mark.parametrize("persona", ["own_staff", "leader"])
def test_approved_items_pages_say_why(client, demo, login_as, request, persona):
    own_staff, leader = request.getfixturevalue("own_staff"), request.getfixturevalue("leader")
    evidence = upload(demo, own_staff)
    score = submitted(demo, own_staff)
    score = score_approve(score=score, by=leader, expected_version=score.version)
    login_as(request.getfixturevalue(persona))
    pk = demo.assessment.pk
    panel = client.get(reverse("evidence:panel", args=[pk, evidence.criterion_id])).content.decode()
    assert 'data-testid="evidence-approved-note"' in panel
    assert f"Tiêu chí {LEAF} đã được duyệt" in panel
    assert "data-upload-form" not in panel
    detail = client.get(reverse("evidence:detail", args=[pk, evidence.pk])).content.decode()
    assert 'data-testid="evidence-edit-note"' in detail
    assert f"Tiêu chí {LEAF} đã được duyệt" in detail
    assert reverse("evidence:replace", args=[pk, evidence.pk]) not in detail
    assert reverse("evidence:delete", args=[pk, evidence.pk]) not in detail
    # Returned by a leader ("Mở lại để sửa"): the four actions are back, the notes gone.
    score_return(score=score, by=leader, expected_version=score.version, comment="Bổ sung")
    panel = client.get(reverse("evidence:panel", args=[pk, evidence.criterion_id])).content.decode()
    assert "data-upload-form" in panel and 'data-testid="evidence-approved-note"' not in panel
    detail = client.get(reverse("evidence:detail", args=[pk, evidence.pk])).content.decode()
    assert 'data-testid="evidence-edit-note"' not in detail
    assert reverse("evidence:replace", args=[pk, evidence.pk]) in detail


def test_other_units_staff_are_told_why_they_cannot_upload(client, demo, login_as):
    login_as("kinhte")
    panel = client.get(
        reverse("evidence:panel", args=[demo.assessment.pk, leaf(demo).pk])
    ).content.decode()
    assert 'data-testid="evidence-upload-note"' in panel
    assert "Chỉ đơn vị chủ trì, đơn vị phối hợp" in panel


# -- The criteria set's option ----------------------------------------------------------------


def test_the_option_is_shown_and_kept_by_a_new_version(client, demo, login_as, administrator):
    from criteria.services import criteria_set_new_version  # noqa: PLC0415

    criteria_set = demo.assessment.criteria_set
    assert criteria_set.evidence_required  # on by default for the Hải Phòng set
    assert str(CriteriaSet._meta.get_field("evidence_required").verbose_name) == (
        "cần minh chứng để có điểm"
    )
    login_as(administrator)
    page = client.get(reverse("criteria:set_detail", args=[criteria_set.pk])).content.decode()
    assert "Cần minh chứng để có điểm" in page
    admin_page = client.get(
        reverse("admin:criteria_criteriaset_change", args=[criteria_set.pk])
    ).content.decode()
    # In use, the set is read-only in the admin: the option shows with its label.
    assert "Cần minh chứng để có điểm" in admin_page
    listing = client.get(reverse("admin:criteria_criteriaset_changelist")).content.decode()
    assert "cần minh chứng để có điểm" in listing.lower()
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(evidence_required=False)
    criteria_set.refresh_from_db()
    assert not criteria_set_new_version(criteria_set=criteria_set).evidence_required


def test_the_secretary_and_reuse_follow_the_same_rule(client, demo, login_as, own_staff, leader):
    """Adding by the secretary, and linking or unlinking reused evidence, change an approved
    item's evidence too: refused with the same reason, allowed once it is returned."""
    from assessments import access  # noqa: PLC0415
    from assessments.models import Assignment  # noqa: PLC0415

    reused = upload(demo, own_staff, OTHER, name="ke-hoach.pdf")
    evidence_link(evidence=reused, criterion=leaf(demo), by=own_staff)
    score = submitted(demo, own_staff)
    score = score_approve(score=score, by=leader, expected_version=score.version)
    assignment = Assignment.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion=leaf(demo)
    )
    secretary = demo.user("vanthu")
    for person in (secretary, own_staff, leader):
        refusal = access.upload_refusal(person, demo.assessment, assignment)
        assert refusal.startswith(f"Tiêu chí {LEAF} đã được duyệt")
    pk, criterion_pk = demo.assessment.pk, leaf(demo).pk
    login_as(own_staff)
    unlink = reverse("evidence:unlink", args=[pk, criterion_pk, reused.pk])
    assert client.post(unlink).status_code == 403
    assert reused.links.filter(criterion=leaf(demo)).exists()
    score_return(score=score, by=leader, expected_version=score.version, comment="Sửa")
    assert access.upload_refusal(secretary, demo.assessment, assignment) == ""
    assert client.post(unlink).status_code == 302
    assert not reused.links.filter(criterion=leaf(demo)).exists()
