"""Issue 13: a refused proposal marks the field it is about, not only a message atop the page.
The field gets `aria-invalid="true"`, the `is-invalid` class and `aria-describedby` naming the
message shown below it; the message at the top stays as the summary."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from lxml import html as lxml_html

from assessments.models import Score
from assessments.services import score_propose

FREE = "1.1.j"  # free points from 0 to 3, led by the own staff's unit
PASS_FAIL = "2.2.e"  # pass or fail, led by the same unit
REASON_MISSING = "điểm thấp hơn điểm tối đa nên phải ghi lý do chưa thực hiện"


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=code
    )


def propose(client, demo, code, **fields):
    score = score_of(demo, code)
    url = reverse("assessments:score_propose", args=[demo.assessment.pk, score.criterion_id])
    data = {"version": score.version, "action": "submit", "confirm_missing_evidence": "1"}
    return client.post(url, {**data, **fields}, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def invalid_fields(response) -> dict[str, str]:
    """{name: its message} for every control of the scoring form marked invalid; asserts each
    one is marked the three ways and that its message is where aria-describedby points."""
    page = lxml_html.fromstring(response.content.decode())
    [form] = page.xpath('//form[@data-testid="score-form"]')
    marked = {}
    for control in form.xpath('.//*[@aria-invalid="true"]'):
        name = control.get("name")
        assert "is-invalid" in control.get("class", "").split(), name
        if control.get("type") == "radio":  # one group: described by its fieldset
            [described] = control.xpath("ancestor::fieldset[1]/@aria-describedby")
        else:
            described = control.get("aria-describedby", "")
        error_id = f"id_{name}_error"
        assert error_id in described.split(), (name, described)
        [message] = page.xpath(f'//*[@id="{error_id}"]')
        assert "invalid-feedback" in message.get("class", "").split()
        marked[name] = message.text_content().strip()
    return marked


def test_a_missing_reason_marks_the_reason_field(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = propose(client, demo, FREE, points="2", result_text="Niêm yết tại Trung tâm.")
    [summary] = messages_of(response)
    assert REASON_MISSING in summary  # the summary atop the page stays
    assert invalid_fields(response) == {"shortfall_reason": f"Tiêu chí {FREE}: {REASON_MISSING}."}
    assert score_of(demo, FREE).status == Score.Status.NOT_STARTED  # nothing half-saved
    # What they typed is back in the form, to add the reason and send again.
    page = lxml_html.fromstring(response.content.decode())
    assert page.get_element_by_id("id_points").get("value") == "2"
    # Shown once: the page opened again is a fresh form with no field marked.
    again = client.get(response.request["PATH_INFO"])
    assert invalid_fields(again) == {}


def test_each_missing_part_is_marked_on_its_own_field(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = propose(client, demo, FREE, points="", result_text="Đã làm.")
    assert invalid_fields(response) == {"points": "Chưa nhập điểm tự chấm."}
    response = propose(client, demo, FREE, points="2", result_text="", shortfall_reason="")
    assert invalid_fields(response) == {
        "result_text": f"Tiêu chí {FREE}: chưa ghi kết quả thực hiện.",
        "shortfall_reason": f"Tiêu chí {FREE}: {REASON_MISSING}.",
    }


def test_points_out_of_range_mark_the_points_field(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = propose(client, demo, FREE, points="-1", result_text="Đã làm.")
    assert list(invalid_fields(response)) == ["points"]  # the form's own error, on the field
    response = propose(client, demo, FREE, points="7", result_text="Đã làm.")
    assert list(invalid_fields(response)) == ["points"]  # the rule's refusal, on the field


def test_a_pass_fail_rule_marks_its_choice(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = propose(client, demo, PASS_FAIL, passed="", result_text="Chưa gửi thư.")
    assert invalid_fields(response) == {"passed": "Chưa nhập điểm tự chấm."}


def test_points_without_evidence_mark_the_confirmation(client, demo, login_as, own_staff):
    login_as(own_staff)
    response = propose(
        client,
        demo,
        FREE,
        points="3",
        result_text="Niêm yết tại Trung tâm.",
        confirm_missing_evidence="",
    )
    [(name, message)] = invalid_fields(response).items()
    assert name == "confirm_missing_evidence"
    assert message.startswith(f"Tiêu chí {FREE} chưa có minh chứng nào cho 3 điểm.")


def test_the_service_keys_its_refusals_by_argument(demo, own_staff):
    score = score_of(demo, FREE)
    with pytest.raises(ValidationError) as refused:
        score_propose(
            score=score,
            by=own_staff,
            expected_version=score.version,
            points=D(2),
            result_text="Đã làm.",
            submit=True,
        )
    assert refused.value.message_dict == {
        "shortfall_reason": [f"Tiêu chí {FREE}: {REASON_MISSING}."]
    }
    with pytest.raises(ValidationError) as refused:
        score_propose(score=score, by=own_staff, expected_version=score.version, points=D(9))
    assert list(refused.value.message_dict) == ["points"]


class Every(forms.Form):
    text = forms.CharField(label="Chữ", help_text="Gợi ý")
    choice = forms.ChoiceField(label="Chọn", choices=[("a", "A")])
    tick = forms.BooleanField(label="Đồng ý")


def test_every_crispy_field_with_an_error_is_marked():
    """The whole portal's forms go through crispy-forms (Bootstrap 5) on Django's BoundField:
    together they mark a field in error. This pins that, should either change."""
    form = Every(data={"choice": "z"})
    assert not form.is_valid()
    rendered = Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(
        Context({"form": form})
    )
    page = lxml_html.fromstring(f"<div>{rendered}</div>")
    for name in ("text", "choice", "tick"):
        [control] = page.xpath(f'//*[@name="{name}"]')
        assert control.get("aria-invalid") == "true", name
        assert "is-invalid" in control.get("class").split(), name
        assert f"id_{name}_error" in control.get("aria-describedby").split(), name
        assert page.xpath(f'//*[@id="id_{name}_error"][contains(@class, "invalid-feedback")]')
    assert page.xpath('//*[@name="text"]/@aria-describedby') == ["id_text_helptext id_text_error"]


def test_the_evidence_search_box_is_marked_too(client, demo, login_as, own_staff):
    """The evidence overview's search box is written by hand (a GET form), so it is marked by
    hand; the same three marks."""
    login_as(own_staff)
    url = reverse("evidence:overview", args=[demo.assessment.pk])
    page = lxml_html.fromstring(client.get(url, {"q": "bien\x00ban"}).content.decode())
    box = page.get_element_by_id("q")
    assert box.get("aria-invalid") == "true"
    assert "is-invalid" in box.get("class").split()
    assert box.get("aria-describedby") == "q-error"
    assert page.get_element_by_id("q-error").text_content().strip()
    page = lxml_html.fromstring(client.get(url, {"q": "bien ban"}).content.decode())
    assert page.get_element_by_id("q").get("aria-invalid") is None


def review(client, demo, code, **fields):
    score = score_of(demo, code)
    url = reverse("assessments:score_review", args=[demo.assessment.pk, score.criterion_id])
    return client.post(url, {"version": score.version, **fields}, follow=True)


def marked_review_fields(response) -> dict[str, str]:
    """{id: its message} for every control of the leader's review card marked invalid, each
    marked the three ways, its message where aria-describedby points."""
    page = lxml_html.fromstring(response.content.decode())
    [card] = page.xpath('//*[@data-testid="review-form"]')
    marked = {}
    for control in card.xpath('.//*[@aria-invalid="true"]'):
        assert "is-invalid" in control.get("class", "").split()
        [message] = page.xpath(f'//*[@id="{control.get("aria-describedby")}"]')
        assert "invalid-feedback" in message.get("class", "").split()
        marked[control.get("id")] = message.text_content().strip()
    return marked


def submitted(own_staff, demo, code) -> Score:
    score = score_of(demo, code)
    score_propose(
        score=score,
        by=own_staff,
        expected_version=score.version,
        submit=True,
        points=D("3"),
        result_text="Đã niêm yết.",
        confirm_missing_evidence=True,
    )
    return score_of(demo, code)


def test_a_return_without_a_comment_marks_the_comment(client, demo, login_as, own_staff, leader):
    submitted(own_staff, demo, FREE)
    login_as(leader)
    response = review(client, demo, FREE, action="return", comment="   ")
    assert "Phải ghi ý kiến khi trả lại" in " ".join(messages_of(response))  # the summary
    assert marked_review_fields(response) == {
        "return-comment": "Phải ghi ý kiến khi trả lại để đơn vị biết cần sửa gì."
    }
    assert score_of(demo, FREE).status == Score.Status.SUBMITTED  # nothing changed
    again = client.get(response.request["PATH_INFO"])  # shown once
    assert marked_review_fields(again) == {}


def test_an_adjustment_marks_its_missing_points_and_reason(
    client, demo, login_as, own_staff, leader
):
    submitted(own_staff, demo, FREE)
    login_as(leader)
    response = review(client, demo, FREE, action="adjust", points="", comment="")
    assert marked_review_fields(response) == {
        "adjust-points": "Chưa nhập điểm điều chỉnh.",
        "adjust-reason": "Phải ghi lý do khi lãnh đạo điều chỉnh điểm.",
    }
    # Mistyped points are marked, and the reason typed is kept to send again.
    response = review(client, demo, FREE, action="adjust", points="hai", comment="Thiếu ảnh.")
    marked = marked_review_fields(response)
    assert list(marked) == ["adjust-points"] and "Hãy nhập một số" in marked["adjust-points"]
    page = lxml_html.fromstring(response.content.decode())
    assert page.get_element_by_id("adjust-reason").get("value") == "Thiếu ảnh."
    assert page.get_element_by_id("adjust-points").get("value") == "hai"
    assert score_of(demo, FREE).status == Score.Status.SUBMITTED
