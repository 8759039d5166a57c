"""Points typed with a decimal comma (issue 13): "0,5" as a Vietnamese browser sends it is
read as 0.5, "0.5" too, anything else is refused with a Vietnamese message; points are shown
back with a comma. The inputs are text inputs with the decimal keypad, not type="number",
which a browser in Vietnamese refuses "0,5" in."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import html as lxml_html

from assessments.forms import ReviewForm, ScoreForm
from assessments.models import Score
from assessments.services import score_propose
from guards.inputs import NOT_A_NUMBER, DecimalCommaField


def field() -> DecimalCommaField:
    return DecimalCommaField(required=False, min_value=0, max_digits=6, decimal_places=2)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0,5", D("0.5")),
        ("0.5", D("0.5")),
        ("1,25", D("1.25")),
        (" 1,25 ", D("1.25")),
        (",5", D("0.5")),
        ("2", D(2)),
        ("2,", D(2)),
        ("", None),
    ],
)
def test_a_comma_or_a_point(typed, value):
    assert field().clean(typed) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.000,5", NOT_A_NUMBER),
        ("1,2,3", NOT_A_NUMBER),
        ("abc", NOT_A_NUMBER),
        ("1e3", NOT_A_NUMBER),
        ("NaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        ("٣", NOT_A_NUMBER),  # Arabic-Indic three: Decimal() would take it
        ("1 5", NOT_A_NUMBER),
        ("9" * 400, NOT_A_NUMBER),
        ("-1", "Giá trị nhỏ nhất là 0."),
        ("1,234", "Chỉ được có tối đa 2 chữ số sau dấu phẩy."),
        ("12345,5", "Số quá lớn: tối đa 4 chữ số trước dấu phẩy."),
    ],
)
def test_anything_else_is_refused_in_vietnamese(typed, message):
    with pytest.raises(ValidationError) as refused:
        field().clean(typed)
    assert refused.value.messages == [message]


@pytest.mark.parametrize(
    ("typed", "message"),
    [("2,75", "Giá trị lớn nhất là 2,5."), ("0,1", "Giá trị nhỏ nhất là 0,25.")],
)
def test_limits_in_messages_are_said_with_a_comma(typed, message):
    bounded = DecimalCommaField(min_value=D("0.25"), max_value=D("2.50"), decimal_places=2)
    with pytest.raises(ValidationError) as refused:
        bounded.clean(typed)
    assert refused.value.messages == [message]


def test_points_are_shown_with_a_comma_in_a_text_input(demo):
    criterion = demo.assessment.criteria_set.criteria.get(code="1.1.j")
    form = ScoreForm(initial={"points": D("0.50")}, criterion=criterion)
    widget = lxml_html.fragment_fromstring(str(form["points"]))
    assert (widget.get("type"), widget.get("inputmode"), widget.get("value")) == (
        "text",
        "decimal",
        "0,5",
    )
    assert widget.get("step") is None and widget.get("max") is None
    assert ReviewForm({"version": "0", "action": "adjust", "points": "1,25"}).is_valid()


# -- over HTTP ---------------------------------------------------------------------------------


def score_of(demo, code) -> Score:
    return Score.objects.select_related("criterion").get(
        assessment=demo.assessment, criterion__code=code
    )


def propose_url(demo, score, name="score_propose"):
    return reverse(f"assessments:{name}", args=[demo.assessment.pk, score.criterion_id])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def points_input(html: str, input_id: str):
    return lxml_html.fromstring(html).get_element_by_id(input_id)


@pytest.mark.parametrize(
    ("typed", "saved", "shown"), [("0,5", "0.5", "0,5"), ("1,25", "1.25", "1,25")]
)
def test_staff_type_points_with_a_comma(client, demo, login_as, own_staff, typed, saved, shown):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        propose_url(demo, score),
        {"version": score.version, "action": "save", "points": typed, "result_text": "Đã làm."},
        follow=True,
    )
    assert "Đã lưu nháp điểm tiêu chí 1.1.j." in messages_of(response)
    score.refresh_from_db()
    assert score.proposed_points == D(saved)
    assert points_input(response.content.decode(), "id_points").get("value") == shown


def test_staff_garbage_points_are_refused_and_nothing_is_saved(client, demo, login_as, own_staff):
    login_as(own_staff)
    score = score_of(demo, "1.1.j")
    response = client.post(
        propose_url(demo, score),
        {"version": score.version, "action": "save", "points": "1.000,5"},
        follow=True,
    )
    assert f"Điểm tự chấm: {NOT_A_NUMBER}" in messages_of(response)
    score.refresh_from_db()
    assert (score.version, score.proposed_points) == (0, None)
    # what was typed comes back as typed
    assert points_input(response.content.decode(), "id_points").get("value") == "1.000,5"


def test_tiers_numbers_take_a_comma(client, demo, login_as, other_staff):
    login_as(other_staff)
    score = score_of(demo, "2.1.a")
    client.post(
        propose_url(demo, score),
        {"version": score.version, "action": "save", "numerator": "12,5", "denominator": "12,5"},
    )
    score.refresh_from_db()
    assert (score.numerator, score.denominator) == (D("12.5"), D("12.5"))


def submitted(demo, code="1.1.j") -> Score:
    score = score_of(demo, code)
    return score_propose(
        score=score,
        by=demo.user("vhxh"),
        expected_version=score.version,
        submit=True,
        points=D(3),
        result_text="Đã thực hiện.",
        shortfall_reason="Chưa đủ.",
        confirm_missing_evidence=True,
    )


@pytest.mark.parametrize("queued", [False, True])
@pytest.mark.parametrize(("typed", "saved"), [("0,5", "0.5"), ("1,25", "1.25")])
def test_leaders_adjust_with_a_comma(client, demo, login_as, leader, queued, typed, saved):
    score = submitted(demo)
    login_as(leader)
    data = {
        "version": score.version,
        "action": "adjust",
        "points": typed,
        "comment": "Thiếu minh chứng.",
        "confirm_missing_evidence": "1",
    }
    if queued:
        data["hang-doi"] = "1"
    response = client.post(propose_url(demo, score, "score_review"), data, follow=True)
    assert "Đã điều chỉnh điểm tiêu chí 1.1.j." in messages_of(response)
    score.refresh_from_db()
    assert (score.status, score.leader_points) == ("approved", D(saved))


def test_leaders_garbage_points_are_explained(client, demo, login_as, leader):
    score = submitted(demo)
    login_as(leader)
    response = client.post(
        propose_url(demo, score, "score_review"),
        {"version": score.version, "action": "adjust", "points": "hai", "comment": "Sai."},
        follow=True,
    )
    assert f"Điểm điều chỉnh: {NOT_A_NUMBER}" in messages_of(response)
    score.refresh_from_db()
    assert (score.status, score.leader_points) == ("submitted", None)


def test_adjust_inputs_are_text_with_the_decimal_keypad(client, demo, login_as, leader):
    score = submitted(demo)
    login_as(leader)
    page = client.get(
        reverse("assessments:criterion", args=[demo.assessment.pk, score.criterion_id])
    ).content.decode()
    queue = client.get(reverse("assessments:queue", args=[demo.assessment.pk])).content.decode()
    for html, input_id in [(page, "adjust-points"), (queue, f"diem-{score.pk}")]:
        widget = points_input(html, input_id)
        assert (widget.get("type"), widget.get("inputmode")) == ("text", "decimal")
    assert 'type="number"' not in page + queue
