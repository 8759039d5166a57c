"""The leaders' review queue ("Chờ duyệt"): what waits, in which order, and the way through it.

Items get into the queue the way units send them: `score_propose` (a draft) and then
`score_submit_many` ("Gửi lãnh đạo tất cả"), as the units' staff do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Assessment, Assignment, Score, ScoreEvent
from assessments.selectors import review_queue
from assessments.services import (
    assessment_lock,
    score_approve,
    score_approve_many,
    score_propose,
    score_return,
    score_submit_many,
)
from criteria.rules import RuleKind
from evidence.services import evidence_link, evidence_upload
from tests.evidence.conftest import pdf_bytes
from tests.queries import at_most

pytestmark = pytest.mark.django_db


# -- helpers -----------------------------------------------------------------------------------


def leaves(assessment: Assessment, **filters) -> list[Assignment]:
    return list(
        Assignment.objects.filter(assessment=assessment, **filters)
        .select_related("criterion", "lead_unit")
        .order_by("criterion__order")
    )


def score_of(assessment: Assessment, code: str) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=assessment, criterion__code=code
    )


def draft(assessment: Assessment, code: str, by, *, points: D | None = None) -> Score:
    """The lead unit's draft at full points (or `points`), with its account."""
    score = score_of(assessment, code)
    criterion = score.criterion
    fields: dict = {"result_text": f"Kết quả của {code}."}
    if criterion.rule == RuleKind.TIERS:
        fields.update(numerator=D(1), denominator=D(1))
    else:
        fields["points"] = criterion.max_points if points is None else points
        if fields["points"] < criterion.max_points:
            fields["shortfall_reason"] = "Chưa đủ hồ sơ."
    return score_propose(score=score, by=by, expected_version=score.version, **fields)


def send(assessment: Assessment, codes: list[str], by) -> list[Score]:
    """The units send `codes`, one after the other (oldest first), through "send all"."""
    sent = []
    for code in codes:
        score = draft(assessment, code, by)
        submitted, skipped = score_submit_many(scores=[score], by=by)
        assert skipped == [] and len(submitted) == 1
        sent.append(submitted[0])
    return sent


def codes_of(queue) -> list[str]:
    return [item.criterion.code for item in queue.items]


def queue_url(demo) -> str:
    return reverse("assessments:queue", args=[demo.assessment.pk])


def item_path(demo, code: str) -> str:
    criterion = demo.assessment.criteria_set.criteria.get(code=code)
    return reverse("assessments:criterion", args=[demo.assessment.pk, criterion.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def four(demo, leader) -> list[str]:
    """Four free-rule sub-criteria sent in this order, none decided yet."""
    codes = [a.criterion.code for a in leaves(demo.assessment, criterion__rule="free")[:4]]
    send(demo.assessment, codes, leader)
    return codes


# -- contents and order --------------------------------------------------------------------------


def test_queue_holds_submitted_and_resubmitted_oldest_first(demo, leader, client, login_as):
    free = [a.criterion.code for a in leaves(demo.assessment, criterion__rule="free")]
    first, second, third, approved, drafted = free[:5]
    send(demo.assessment, [first, second, third, approved], leader)
    score_approve(
        score=score_of(demo.assessment, approved),
        by=leader,
        expected_version=score_of(demo.assessment, approved).version,
    )
    draft(demo.assessment, drafted, leader)  # saved, not sent: not waiting
    returned = score_of(demo.assessment, first)
    score_return(
        score=returned, by=leader, expected_version=returned.version, comment="Thiếu số liệu."
    )
    # The unit corrects it and sends it again: it is now the newest in the queue ("send
    # all" leaves a returned item nobody edited unsent).
    draft(demo.assessment, first, leader)
    score_submit_many(scores=[score_of(demo.assessment, first)], by=leader)

    queue = review_queue(demo.assessment)
    assert codes_of(queue) == [second, third, first]
    assert [item.score.status for item in queue.items] == ["submitted", "submitted", "resubmitted"]
    assert [item.resubmitted for item in queue.items] == [False, False, True]

    login_as(leader)
    response = client.get(queue_url(demo))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="queue-count">3<' in page
    assert "Đã trả lại lần trước:</strong> Thiếu số liệu." in page
    assert page.count('data-testid="queue-item"') == 3
    for code in (approved, drafted):
        assert f'data-code="{code}"' not in page


def test_the_last_submission_sets_the_order_and_proposed_at_stands_in_for_a_lost_event(
    demo, leader
):
    a, b, c = [x.criterion.code for x in leaves(demo.assessment, criterion__rule="free")[:3]]
    send(demo.assessment, [a, b, c], leader)
    # A score imported without its history: its proposal time counts instead.
    oldest = score_of(demo.assessment, c)
    ScoreEvent.objects.filter(score=oldest).delete()
    first_event = ScoreEvent.objects.filter(score=score_of(demo.assessment, a)).earliest("at")
    Score.objects.filter(pk=oldest.pk).update(proposed_at=first_event.at - dt.timedelta(minutes=5))
    assert codes_of(review_queue(demo.assessment)) == [c, a, b]


def test_filters_by_lead_unit_and_top_level_criterion(demo, leader, client, login_as):
    vhxh = demo.commune.units.get(short_name="VHXH")
    mine = leaves(demo.assessment, lead_unit=vhxh, criterion__rule="free")[:2]
    others = leaves(demo.assessment, criterion__rule="free").copy()
    others = [a for a in others if a.lead_unit_id != vhxh.pk][:2]
    send(demo.assessment, [a.criterion.code for a in mine + others], leader)

    by_unit = review_queue(demo.assessment, unit=vhxh)
    assert codes_of(by_unit) == [a.criterion.code for a in mine]
    assert {item.lead_unit for item in by_unit.items} == {vhxh}

    root = others[0].criterion
    while root.parent_id is not None:
        root = root.parent
    under_root = [
        a.criterion.code for a in mine + others if a.criterion.code.split(".")[0] == root.code
    ]
    assert codes_of(review_queue(demo.assessment, root_id=root.pk)) == under_root

    login_as(leader)
    response = client.get(queue_url(demo), {"don-vi": vhxh.pk, "tieu-chi": root.pk})
    expected = [c for c in under_root if c in {a.criterion.code for a in mine}]
    assert codes_of(response.context["queue"]) == expected
    # A sub-criterion is not a top-level criterion, another commune's unit is no unit here:
    # both filters are ignored, as if absent.
    other_unit = demo.other_commune.units.first()
    response = client.get(
        queue_url(demo), {"don-vi": other_unit.pk, "tieu-chi": mine[0].criterion.pk}
    )
    assert len(response.context["queue"].items) == 4
    assert response.context["params"] == {}


def test_another_communes_items_are_never_shown(demo, leader, outsider, client, login_as):
    send(
        demo.assessment, [leaves(demo.assessment, criterion__rule="free")[0].criterion.code], leader
    )
    theirs = leaves(demo.other_assessment, criterion__rule="free")[0].criterion.code
    send(demo.other_assessment, [theirs], outsider)

    login_as(leader)
    queue = client.get(queue_url(demo)).context["queue"]
    assert [item.score.assessment_id for item in queue.items] == [demo.assessment.pk]
    login_as(outsider)
    assert client.get(queue_url(demo)).status_code == 404
    other = client.get(reverse("assessments:queue", args=[demo.other_assessment.pk]))
    assert codes_of(other.context["queue"]) == [theirs]


def test_evidence_count_and_the_missing_evidence_hook(demo, leader, own_staff, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    led = leaves(demo.assessment, lead_unit__short_name="VHXH", criterion__rule="free")
    backed, also_backed, bare = (a.criterion for a in led[:3])
    send(demo.assessment, [backed.code, also_backed.code, bare.code], leader)
    evidence = evidence_upload(
        assessment=demo.assessment,
        criterion=backed,
        upload=SimpleUploadedFile("Biên bản.pdf", pdf_bytes()),
        by=own_staff,
    ).evidence
    evidence_link(evidence=evidence, criterion=also_backed, by=own_staff)
    evidence_upload(
        assessment=demo.assessment,
        criterion=backed,
        upload=SimpleUploadedFile("Ảnh.pdf", pdf_bytes()),
        by=own_staff,
    )

    items = {item.criterion.code: item for item in review_queue(demo.assessment).items}
    assert {code: item.evidence_count for code, item in items.items()} == {
        backed.code: 2,
        also_backed.code: 1,
        bare.code: 0,
    }
    assert [code for code, item in items.items() if item.lacks_evidence] == [bare.code]


def test_zero_points_without_evidence_is_not_flagged(demo, leader):
    code = leaves(demo.assessment, criterion__rule="free")[0].criterion.code
    score = draft(demo.assessment, code, leader, points=D(0))
    score_submit_many(scores=[score], by=leader)
    (item,) = review_queue(demo.assessment).items
    assert item.evidence_count == 0 and not item.lacks_evidence


# -- query counts ---------------------------------------------------------------------------------

QUEUE_PAGE = (
    "session, user, membership, assessment, criteria, scores, assignments, evidence counts, "
    "commune, units, bell"
)


def test_queue_page_query_count_does_not_grow_with_the_items(demo, leader, client, login_as):
    free = [a.criterion.code for a in leaves(demo.assessment)]
    send(demo.assessment, free[:4], leader)
    login_as(leader)
    # Expect 10 queries: session, user, membership, assessment (with its criteria set and
    # level), criteria, scores (with the last submission), assignments, evidence counts,
    # the person's commune, the units of the filter.
    with at_most(11, QUEUE_PAGE) as few:
        response = client.get(queue_url(demo))
    assert len(response.context["queue"].items) == 4
    send(demo.assessment, free[4:20], leader)
    with at_most(11, QUEUE_PAGE) as many:
        response = client.get(queue_url(demo))
    assert len(response.context["queue"].items) == 20
    assert len(few) == len(many)


def test_queue_selector_is_four_queries(demo, leader, django_assert_num_queries):
    send(demo.assessment, [a.criterion.code for a in leaves(demo.assessment)[:6]], leader)
    # Expect 4 queries: criteria, scores, assignments, evidence counts.
    with django_assert_num_queries(4):
        queue = review_queue(demo.assessment)
        [(i.lead_unit, i.root, i.criterion, i.score.proposed_by) for i in queue.items]


# -- bulk approval ---------------------------------------------------------------------------------


def bulk(client, demo, scores, **extra):
    # The demo has no evidence: the leader ticks "Vẫn duyệt các mục chưa có minh chứng"
    # (test_bulk_approval_without_evidence_needs_the_tick covers the refusal).
    data = {"muc": [f"{s.pk}:{s.version}" for s in scores], "confirm_missing_evidence": "1"}
    data.update(extra)
    return client.post(
        reverse("assessments:queue_approve", args=[demo.assessment.pk]), data, follow=True
    )


def test_bulk_approval_approves_the_ticked_rows(demo, leader, client, login_as, four):
    login_as(leader)
    chosen = [score_of(demo.assessment, code) for code in four[:3]]
    response = bulk(client, demo, chosen)
    assert response.redirect_chain[-1][0] == queue_url(demo)
    (done,) = [m for m in messages_of(response) if m.startswith("Đã duyệt 3 tiêu chí: ")]
    assert sorted(done.removeprefix("Đã duyệt 3 tiêu chí: ").rstrip(".").split(", ")) == sorted(
        four[:3]
    )
    statuses = {code: score_of(demo.assessment, code).status for code in four}
    assert statuses == {
        four[0]: "approved",
        four[1]: "approved",
        four[2]: "approved",
        four[3]: "submitted",
    }
    for code in four[:3]:
        score = score_of(demo.assessment, code)
        assert score.leader_points == score.proposed_points
        assert score.events.first().action == ScoreEvent.Action.APPROVE
    assert codes_of(response.context["queue"]) == [four[3]]


def test_bulk_approval_refuses_a_stale_row_and_approves_the_others(
    demo, leader, chairman, client, login_as, four
):
    login_as(leader)
    seen = [score_of(demo.assessment, code) for code in four[:2]]
    # Meanwhile the chairman returns the first one.
    score_return(score=seen[0], by=chairman, expected_version=seen[0].version, comment="Xem lại.")
    response = bulk(client, demo, seen)
    assert score_of(demo.assessment, four[0]).status == "returned"
    assert score_of(demo.assessment, four[1]).status == "approved"
    shown = messages_of(response)
    assert f"Đã duyệt 1 tiêu chí: {four[1]}." in shown
    (warning,) = [m for m in shown if m.startswith("1 tiêu chí chưa được duyệt")]
    assert f"Điểm tiêu chí {four[0]} vừa được" in warning and "chưa được lưu" in warning


def test_bulk_approval_refuses_another_communes_ids(demo, leader, outsider, client, login_as, four):
    theirs = send(
        demo.other_assessment,
        [leaves(demo.other_assessment, criterion__rule="free")[0].criterion.code],
        outsider,
    )[0]
    ours = score_of(demo.assessment, four[0])
    login_as(leader)
    response = bulk(client, demo, [ours, theirs])
    assert (
        "1 mục đã chọn không thuộc kỳ đánh giá này; chưa duyệt mục nào." in messages_of(response)[0]
    )
    assert Score.objects.get(pk=theirs.pk).status == "submitted"
    assert Score.objects.get(pk=ours.pk).status == "submitted"


@pytest.mark.parametrize(
    "value", ["", "abc", "12", "1:-1", "1:x", "²:1", f"{2**63}:1", "1:" + "9" * 20]
)
def test_bulk_approval_refuses_what_no_page_sends(demo, leader, client, login_as, four, value):
    login_as(leader)
    response = client.post(
        reverse("assessments:queue_approve", args=[demo.assessment.pk]), {"muc": value}, follow=True
    )
    assert response.status_code == 200
    assert messages_of(response)[0] in (
        "Chưa chọn tiêu chí nào để duyệt.",
        "Lựa chọn không hợp lệ; hãy tải lại trang rồi chọn lại.",
    )
    assert Score.objects.filter(assessment=demo.assessment, status="approved").count() == 0


def test_a_locked_assessment_shows_the_queue_without_actions(demo, leader, client, login_as, four):
    assessment_lock(assessment=demo.assessment, by=leader, reason="Hết hạn.")
    login_as(leader)
    page = client.get(queue_url(demo)).content.decode()
    assert page.count('data-testid="queue-item"') == 4
    assert "Kỳ đánh giá đã khóa: không duyệt được" in page
    assert 'id="bulk-approve"' not in page and 'data-testid="queue-actions"' not in page
    response = bulk(client, demo, [score_of(demo.assessment, four[0])])
    assert "Kỳ đánh giá đã khóa. Lãnh đạo cần mở lại trước khi thay đổi điểm." in messages_of(
        response
    )
    assert score_of(demo.assessment, four[0]).status == "submitted"


def test_bulk_approval_keeps_the_filters(demo, leader, client, login_as, four):
    login_as(leader)
    unit = leaves(demo.assessment, criterion__code=four[0])[0].lead_unit
    response = bulk(client, demo, [score_of(demo.assessment, four[0])], **{"don-vi": unit.pk})
    assert response.redirect_chain[-1][0] == f"{queue_url(demo)}?don-vi={unit.pk}"


def test_the_service_approves_per_item_and_refuses_a_locked_assessment(demo, leader, four):
    scores = [score_of(demo.assessment, code) for code in four]
    stale = {scores[0].pk: scores[0].version - 1}
    result = score_approve_many(scores=scores[:2], by=leader, versions=stale)
    assert [s.criterion.code for s in result.approved] == [four[1]]
    assert len(result.refused) == 1 and four[0] in result.refused[0]

    assessment_lock(assessment=demo.assessment, by=leader, reason="Hết hạn.")
    with pytest.raises(ValidationError, match="Kỳ đánh giá đã khóa"):
        score_approve_many(scores=[score_of(demo.assessment, four[2])], by=leader)
    assert score_of(demo.assessment, four[2]).status == "submitted"


def test_the_service_refuses_scores_of_two_assessments(demo, leader, outsider, four):
    theirs = send(
        demo.other_assessment,
        [leaves(demo.other_assessment, criterion__rule="free")[0].criterion.code],
        outsider,
    )[0]
    with pytest.raises(ValidationError, match="một kỳ đánh giá"):
        score_approve_many(scores=[score_of(demo.assessment, four[0]), theirs], by=leader)
    assert Score.objects.get(pk=theirs.pk).status == "submitted"


def test_a_not_waiting_score_is_reported_not_approved(demo, leader, four):
    done = score_of(demo.assessment, four[0])
    score_approve(score=done, by=leader, expected_version=done.version)
    result = score_approve_many(scores=[score_of(demo.assessment, four[0])], by=leader)
    assert result.approved == []
    assert result.refused == [f"Tiêu chí {four[0]} chưa được gửi để duyệt."]


# -- the way through: the next item opens -------------------------------------------------------


def decide(client, demo, code, action, **fields):
    score = score_of(demo.assessment, code)
    data = {"version": score.version, "action": action, "hang-doi": "1", **fields}
    if action in ("approve", "adjust"):
        # The demo has no evidence: the leader confirms approving without it (the warning
        # itself is tested in tests/evidence/test_discipline.py).
        data.setdefault("confirm_missing_evidence", "1")
    return client.post(
        reverse("assessments:score_review", args=[demo.assessment.pk, score.criterion_id]),
        data,
    )


def target(url: str) -> tuple[str, dict]:
    """A redirect's path and query."""
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_each_decision_opens_the_next_item(demo, leader, client, login_as, four):
    login_as(leader)
    response = decide(client, demo, four[0], "approve")
    assert target(response.url) == (item_path(demo, four[1]), {"hang-doi": "1"})
    response = decide(client, demo, four[1], "return", comment="Bổ sung số liệu.")
    assert target(response.url) == (item_path(demo, four[2]), {"hang-doi": "1"})
    response = decide(client, demo, four[2], "adjust", points="0", comment="Chưa đạt.")
    assert target(response.url) == (item_path(demo, four[3]), {"hang-doi": "1"})
    response = decide(client, demo, four[3], "approve")
    assert response.url == queue_url(demo)
    page = client.get(response.url)
    assert "Hết mục chờ duyệt." in messages_of(page)
    assert 'data-testid="queue-empty"' in page.content.decode()
    assert [score_of(demo.assessment, c).status for c in four] == [
        "approved",
        "returned",
        "approved",
        "approved",
    ]


def test_the_next_item_keeps_the_filters(demo, leader, client, login_as):
    vhxh = demo.commune.units.get(short_name="VHXH")
    others = [a for a in leaves(demo.assessment, criterion__rule="free") if a.lead_unit != vhxh]
    mine = leaves(demo.assessment, lead_unit=vhxh, criterion__rule="free")
    # Another unit's item sits between the two of VHXH: the filter skips it.
    codes = [mine[0].criterion.code, others[0].criterion.code, mine[1].criterion.code]
    send(demo.assessment, codes, leader)
    login_as(leader)
    response = decide(client, demo, codes[0], "approve", **{"don-vi": str(vhxh.pk)})
    assert target(response.url) == (
        item_path(demo, codes[2]),
        {"hang-doi": "1", "don-vi": str(vhxh.pk)},
    )
    response = decide(client, demo, codes[2], "approve", **{"don-vi": str(vhxh.pk)})
    assert response.url == f"{queue_url(demo)}?don-vi={vhxh.pk}"


def test_after_a_skipped_item_the_next_one_comes_then_the_skipped(
    demo, leader, client, login_as, four
):
    login_as(leader)
    # The leader skipped the first item and decides the second: the third opens, then,
    # after the last, the first one they left behind.
    assert target(decide(client, demo, four[1], "approve").url)[0] == item_path(demo, four[2])
    assert target(decide(client, demo, four[3], "approve").url)[0] == item_path(demo, four[0])


def test_a_refused_decision_stays_on_the_item_in_the_queue(
    demo, leader, chairman, client, login_as, four
):
    login_as(leader)
    score = score_of(demo.assessment, four[0])
    score_approve(score=score, by=chairman, expected_version=score.version)
    response = client.post(
        reverse("assessments:score_review", args=[demo.assessment.pk, score.criterion_id]),
        {"version": score.version, "action": "return", "comment": "Xem lại.", "hang-doi": "1"},
        follow=True,
    )
    path, query = target(response.redirect_chain[0][0])
    assert (path, query) == (item_path(demo, four[0]), {"hang-doi": "1"})
    assert any("vừa được" in m for m in messages_of(response))
    assert score_of(demo.assessment, four[0]).status == "approved"


def test_without_the_queue_mark_the_item_page_stays(demo, leader, client, login_as, four):
    login_as(leader)
    score = score_of(demo.assessment, four[0])
    response = client.post(
        reverse("assessments:score_review", args=[demo.assessment.pk, score.criterion_id]),
        {"version": score.version, "action": "approve"},
    )
    assert response.url == f"{item_path(demo, four[0])}#cham-diem"


def test_a_waiting_items_page_links_to_the_next_with_the_count(
    demo, leader, secretary, client, login_as, four
):
    login_as(leader)
    response = client.get(item_path(demo, four[1]))
    nav = response.context["queue_nav"]
    assert nav["remaining"] == 3
    assert target(nav["next_url"]) == (item_path(demo, four[2]), {"hang-doi": "1"})
    page = response.content.decode()
    assert "Mục tiếp theo (3 còn lại)" in page
    assert 'name="hang-doi"' not in page  # opened from the tree: decisions stay on the item
    # Opened in the queue, the decisions carry the mark and open the next item.
    page = client.get(item_path(demo, four[1]), {"hang-doi": "1"}).content.decode()
    assert page.count('name="hang-doi" value="1"') == 3  # approve, return, adjust
    # The last one wraps around to the oldest.
    nav = client.get(item_path(demo, four[3])).context["queue_nav"]
    assert target(nav["next_url"])[0] == item_path(demo, four[0])
    # Not for the secretary, nor on an approved item outside the queue.
    login_as(secretary)
    assert client.get(item_path(demo, four[1])).context["queue_nav"] is None
    login_as(leader)
    done = score_of(demo.assessment, four[0])
    score_approve(score=done, by=leader, expected_version=done.version)
    assert client.get(item_path(demo, four[0])).context["queue_nav"] is None


# -- the dashboard, the tree and the unit table ---------------------------------------------------


def test_the_dashboard_card_counts_what_waits_for_leaders_only(
    demo, leader, secretary, client, login_as, four
):
    first = score_of(demo.assessment, four[0])
    score_return(score=first, by=leader, expected_version=first.version, comment="Sửa.")
    draft(demo.assessment, four[0], leader)  # corrected, then sent again
    score_submit_many(scores=[score_of(demo.assessment, four[0])], by=leader)
    login_as(leader)
    page = client.get(reverse("reports:dashboard", args=[demo.assessment.pk])).content.decode()
    assert "Chờ duyệt (4)" in page
    assert "3 mới gửi, 1 gửi lại sau khi trả lại" in page
    assert f'href="{queue_url(demo)}"' in page
    login_as(secretary)
    page = client.get(reverse("reports:dashboard", args=[demo.assessment.pk])).content.decode()
    assert 'data-testid="review-queue-card"' not in page


def test_the_tree_shows_status_and_points_with_totals(demo_scored, leader, client, login_as):
    login_as(leader)
    response = client.get(reverse("assessments:detail", args=[demo_scored.assessment.pk]))
    tree = response.context["tree"]
    rows = {row.criterion.code: row for row in tree.rows()}
    leaf = rows["2.2.e"]
    assert leaf.score.status == "approved"
    assert leaf.points == leaf.score.leader_points
    for code in ("1", "2", "3", "4"):
        root = rows[code]
        assert root.points == sum(
            (
                r.points
                for r in tree.rows()
                if r.is_leaf and r.criterion.code.startswith(code + ".")
            ),
            D(0),
        )
    assert tree.points == sum((rows[c].points for c in "1234"), D(0))
    page = response.content.decode()
    assert page.count('<span class="badge status-approved">Đã duyệt</span>') == tree.leaf_count
    assert tree.points == 80  # the demo's approved total (README: "the demo at 80")
    assert 'data-testid="tree-total-points">80</td>' in page


def test_the_unit_table_links_each_unit_to_its_items_and_queue(
    demo, leader, secretary, client, login_as, four
):
    unit = leaves(demo.assessment, criterion__code=four[0])[0].lead_unit
    waiting = sum(
        1 for code in four if leaves(demo.assessment, criterion__code=code)[0].lead_unit == unit
    )
    login_as(leader)
    page = client.get(reverse("reports:units", args=[demo.assessment.pk])).content.decode()
    tree = reverse("assessments:detail", args=[demo.assessment.pk])
    assert f'href="{tree}?don-vi={unit.pk}"' in page
    assert (
        f'href="{queue_url(demo)}?don-vi={unit.pk}" data-testid="unit-waiting">{waiting} chờ duyệt'
        in page
    )
    login_as(secretary)  # reads the tree, does not decide
    page = client.get(reverse("reports:units", args=[demo.assessment.pk])).content.decode()
    assert f'href="{tree}?don-vi={unit.pk}"' in page
    assert 'data-testid="unit-waiting"' not in page


# -- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username,status",
    [("lanhdao", 200), ("chutich", 200), ("admin", 200), ("vanthu", 403), ("vhxh", 403),
     ("anlao_lanhdao", 404)],
)  # fmt: skip
def test_who_sees_the_queue(demo, client, login_as, username, status):
    login_as(username)
    assert client.get(queue_url(demo)).status_code == status


def test_the_secretary_cannot_approve_in_bulk(demo, secretary, client, login_as, four):
    login_as(secretary)
    response = bulk(client, demo, [score_of(demo.assessment, four[0])])
    assert response.status_code == 403
    assert score_of(demo.assessment, four[0]).status == "submitted"


def test_bulk_approval_without_evidence_needs_the_tick(demo, leader, client, login_as, four):
    login_as(leader)
    chosen = [score_of(demo.assessment, code) for code in four[:2]]
    page = client.get(queue_url(demo)).content.decode()
    assert 'id="bulk-confirm-evidence"' in page and 'name="confirm_missing_evidence"' in page
    response = bulk(client, demo, chosen, confirm_missing_evidence="")
    (refused,) = [m for m in messages_of(response) if m.startswith("2 tiêu chí chưa được duyệt")]
    for code in four[:2]:
        assert f"Tiêu chí {code} chưa có minh chứng nào" in refused
        assert score_of(demo.assessment, code).status == "submitted"
    bulk(client, demo, [score_of(demo.assessment, code) for code in four[:2]])
    assert [score_of(demo.assessment, code).status for code in four[:2]] == ["approved"] * 2
