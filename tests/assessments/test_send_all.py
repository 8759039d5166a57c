"""'Gửi lãnh đạo tất cả' (issue 12): only drafts and returned items edited since their
return are sent, after a confirmation that names them; a stale confirmation sends nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.access import submittable_assignments
from assessments.models import Score
from assessments.selectors import UNTOUCHED, send_plan
from assessments.services import (
    score_comment,
    score_propose,
    score_return,
    score_submit_many,
)
from tests.queries import at_most

# Sub-criteria of Phòng Văn hóa - Xã hội (own_staff), free points up to 3 / 1.
RETURNED_EDITED, RETURNED_UNTOUCHED, DRAFT = "1.1.j", "1.1.g", "1.2.b"


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion", "assessment").get(
        assessment=demo.assessment, criterion__code=code
    )


def propose(demo, code, by, *, submit=False, text="Đã thực hiện.") -> Score:
    score = score_of(demo, code)
    return score_propose(
        score=score,
        by=by,
        expected_version=score.version,
        points=score.criterion.max_points,
        result_text=text,
        submit=submit,
    )


def returned(demo, code, staff, leader) -> Score:
    score = propose(demo, code, staff, submit=True)
    return score_return(
        score=score, by=leader, expected_version=score.version, comment="Bổ sung ảnh."
    )


@pytest.fixture
def mixed(demo, own_staff, leader):
    """One returned item edited since, one returned and untouched (a comment since, which
    changes nothing), one draft."""
    returned(demo, RETURNED_EDITED, own_staff, leader)
    propose(demo, RETURNED_EDITED, own_staff, text="Đã bổ sung ảnh chụp.")  # edited (SAVE)
    score = returned(demo, RETURNED_UNTOUCHED, own_staff, leader)
    score_comment(score=score, by=own_staff, comment="Đang chụp ảnh.")
    propose(demo, DRAFT, own_staff)
    return demo


def plan_of(demo, user):
    criterion_ids = submittable_assignments(user, demo.assessment).values("criterion_id")
    return send_plan(demo.assessment, criterion_ids)


def confirm_url(demo):
    return reverse("assessments:submit_unit_confirm", args=[demo.assessment.pk])


def submit_url(demo):
    return reverse("assessments:submit_unit", args=[demo.assessment.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def status(demo, code) -> str:
    return score_of(demo, code).status


def test_the_plan_sends_drafts_and_edited_returns_only(mixed, own_staff):
    plan = plan_of(mixed, own_staff)
    assert [s.criterion.code for s in plan.ready] == [RETURNED_EDITED, DRAFT]
    assert [(s.criterion.code, why) for s, why in plan.left_out] == [
        (RETURNED_UNTOUCHED, UNTOUCHED)
    ]
    assert plan.missing == {s.pk for s in plan.ready}  # the demo has no evidence


def test_the_service_leaves_untouched_returns_unsent(mixed, own_staff):
    scores = [score_of(mixed, code) for code in (RETURNED_EDITED, RETURNED_UNTOUCHED, DRAFT)]
    submitted, skipped = score_submit_many(scores=scores, by=own_staff)
    assert [s.criterion.code for s in submitted] == [RETURNED_EDITED, DRAFT]
    assert skipped == [
        f"Tiêu chí {RETURNED_UNTOUCHED}: trả lại, chưa sửa; mở tiêu chí để sửa theo ý kiến "
        "của lãnh đạo rồi gửi lại."
    ]
    assert status(mixed, RETURNED_EDITED) == "resubmitted"
    assert status(mixed, RETURNED_UNTOUCHED) == "returned"
    assert status(mixed, DRAFT) == "submitted"


def test_confirmation_page_lists_what_is_sent_and_what_is_left_out(
    client, mixed, login_as, own_staff
):
    login_as(own_staff)
    response = client.get(confirm_url(mixed))
    html = response.content.decode()
    sent = html[html.index('data-testid="send-list"') : html.index('data-testid="left-out-list"')]
    left = html[html.index('data-testid="left-out-list"') :]
    assert f'data-code="{RETURNED_EDITED}"' in sent and f'data-code="{DRAFT}"' in sent
    assert f'data-code="{RETURNED_UNTOUCHED}"' not in sent
    assert f'data-code="{RETURNED_UNTOUCHED}"' in left and UNTOUCHED in left
    assert "Bổ sung ảnh." in left  # the leaders' comment, next to why it is left out
    plan = response.context["plan"]
    assert f'name="items" value="{plan.confirmation}"' in html
    assert 'data-testid="missing-evidence-warning"' in html


def test_sending_the_confirmation(client, mixed, login_as, own_staff):
    login_as(own_staff)
    plan = client.get(confirm_url(mixed)).context["plan"]
    # Points without evidence: the box must be ticked; nothing is sent until it is.
    response = client.post(submit_url(mixed), {"items": plan.confirmation}, follow=True)
    assert response.redirect_chain[-1][0] == confirm_url(mixed)
    [message] = messages_of(response)
    assert message.startswith("Các tiêu chí chưa có minh chứng nào: 1.1.j (3 điểm), 1.2.b (3 điểm)")
    assert status(mixed, DRAFT) == "draft" and status(mixed, RETURNED_EDITED) == "returned"
    response = client.post(
        submit_url(mixed),
        {"items": plan.confirmation, "confirm_missing_evidence": "on"},
        follow=True,
    )
    assert messages_of(response)[0] == f"Đã gửi 2 tiêu chí: {RETURNED_EDITED}, {DRAFT}."
    assert status(mixed, RETURNED_EDITED) == "resubmitted"
    assert status(mixed, DRAFT) == "submitted"
    assert status(mixed, RETURNED_UNTOUCHED) == "returned"


def test_a_stale_confirmation_sends_nothing(client, mixed, login_as, own_staff, leader):
    login_as(own_staff)
    plan = client.get(confirm_url(mixed)).context["plan"]
    propose(mixed, DRAFT, leader, text="Lãnh đạo sửa.")  # changed since the page was read
    response = client.post(
        submit_url(mixed),
        {"items": plan.confirmation, "confirm_missing_evidence": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == confirm_url(mixed)
    [message] = messages_of(response)
    assert message.startswith(f"Danh sách gửi đã thay đổi từ khi bạn xem (tiêu chí {DRAFT})")
    assert status(mixed, DRAFT) == "draft" and status(mixed, RETURNED_EDITED) == "returned"


@pytest.mark.parametrize("which", ["untouched", "other_unit", "unknown"])
def test_a_confirmation_naming_what_may_not_be_sent_sends_nothing(
    client, mixed, login_as, own_staff, which
):
    other = propose(mixed, "1.2.d", mixed.user("ttpvhcc"))  # another unit's draft
    untouched = score_of(mixed, RETURNED_UNTOUCHED)
    extra = {
        "untouched": f"{untouched.pk}:{untouched.version}",
        "other_unit": f"{other.pk}:{other.version}",
        "unknown": "999999:0",
    }[which]
    login_as(own_staff)
    plan = client.get(confirm_url(mixed)).context["plan"]
    response = client.post(
        submit_url(mixed),
        {"items": f"{plan.confirmation},{extra}", "confirm_missing_evidence": "on"},
        follow=True,
    )
    assert messages_of(response)[0].startswith("Danh sách gửi đã thay đổi từ khi bạn xem")
    assert status(mixed, DRAFT) == "draft" and status(mixed, "1.2.d") == "draft"


@pytest.mark.parametrize("items", ["", "abc", "1:2:3", "1;2", "-1:0", "1:" + "9" * 11])
def test_a_malformed_confirmation_is_refused_clearly(client, mixed, login_as, own_staff, items):
    login_as(own_staff)
    response = client.post(submit_url(mixed), {"items": items}, follow=True)
    assert response.redirect_chain[-1][0] == confirm_url(mixed)
    [message] = messages_of(response)
    assert message in (
        "Chưa có tiêu chí nào được xác nhận để gửi.",
        "Danh sách xác nhận không hợp lệ; hãy xem lại danh sách rồi gửi.",
    )
    assert status(mixed, DRAFT) == "draft"


def test_only_the_confirmed_items_are_sent(mixed, own_staff):
    draft = score_of(mixed, DRAFT)
    scores = [score_of(mixed, code) for code in (RETURNED_EDITED, RETURNED_UNTOUCHED, DRAFT)]
    submitted, _skipped = score_submit_many(
        scores=scores, by=own_staff, confirmed={draft.pk: draft.version}
    )
    assert [s.criterion.code for s in submitted] == [DRAFT]
    assert status(mixed, RETURNED_EDITED) == "returned"


def test_the_service_refuses_a_stale_version(mixed, own_staff):
    draft = score_of(mixed, DRAFT)
    with pytest.raises(ValidationError) as refused:
        score_submit_many(scores=[draft], by=own_staff, confirmed={draft.pk: draft.version - 1})
    assert refused.value.error_list[0].code == "stale"


def test_confirmation_page_query_count_does_not_grow(client, demo, login_as, own_staff, leader):
    returned(demo, RETURNED_UNTOUCHED, own_staff, leader)  # one left out, for the last events
    login_as(own_staff)
    counts = []
    for codes in ([DRAFT], ["2.2.b", "2.2.c", "2.2.f", "2.3"]):
        for code in codes:
            propose(demo, code, own_staff)
        # Expect at most 9 queries: session, user, membership, assessment, scores, the
        # returned ones' last events, their evidence, commune and unit (the base page).
        with at_most(10, "session … scores, last events, evidence, commune, unit, bell") as queries:
            response = client.get(confirm_url(demo))
        counts.append(len(queries))
    assert len(response.context["plan"].ready) == 5
    assert len(response.context["plan"].left_out) == 1
    assert counts[0] == counts[1], counts
