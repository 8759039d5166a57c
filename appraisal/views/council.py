"""The appraisal council's pages: its sessions, one session with its communes and votes, and
the city's recognition decision for a round.

Who may do what is the rule book's (assessments.access: may_see_council, may_prepare_council,
require_vote, is_city_admin); the decision rule is appraisal.council_services'."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from appraisal import council_services as services
from appraisal.council_forms import AddItemsForm, RecognitionForm, SessionForm, VoteForm
from appraisal.council_selectors import session_page, sessions_of
from appraisal.models import CouncilItem, CouncilSession, RecognitionDecision
from appraisal.views.rounds import round_for
from assessments.access import (
    get_city_for_user,
    is_city_admin,
    may_prepare_council,
    may_see_votes_by_name,
    require_city_admin,
    require_prepare_council,
    require_see_council,
    require_vote,
    rule,
    vote_refusal,
)
from assessments.models import City
from guards.http import AuthenticatedRequest
from guards.inputs import errors_to_form


def _council_city(request: AuthenticatedRequest, city: int) -> City:
    place = get_city_for_user(request.user, city)
    require_see_council(request.user, place)
    return place


def _session_for(place: City, session_pk: int) -> CouncilSession:
    session = (
        CouncilSession.objects.select_related("round__city", "chair")
        .filter(round__city=place, pk=session_pk)
        .first()
    )
    if session is None:
        raise Http404("Không tìm thấy phiên họp.")
    return session


def _item_for(session: CouncilSession, item_pk: int) -> CouncilItem:
    item = (
        CouncilItem.objects.select_related("submission__assessment__commune")
        .filter(session=session, pk=item_pk)
        .first()
    )
    if item is None:
        raise Http404("Không tìm thấy hồ sơ trong phiên họp.")
    item.session = session
    return item


def _form_refused(request: AuthenticatedRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _refused(request: AuthenticatedRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@rule("council")
def sessions(request: AuthenticatedRequest, city: int) -> HttpResponse:
    """The council's sessions, and the rounds a new one may be opened for."""
    place = _council_city(request, city)
    return render(
        request,
        "appraisal/council/sessions.html",
        {
            "city": place,
            "sessions": list(sessions_of(place)),
            "rounds": list(place.rounds.order_by("-year", "-period")),
            "may_prepare": may_prepare_council(request.user, place),
            "is_city_admin": is_city_admin(request.user, place),
            "section": "sessions",
        },
    )


@rule("council")
def session_add(request: AuthenticatedRequest, city: int, round_pk: int) -> HttpResponse:
    """Open a session for a round: its members, its chair and the communes it decides on."""
    place = get_city_for_user(request.user, city)
    round_ = round_for(place, round_pk)
    require_prepare_council(request.user, place)
    offered = services.eligible_submissions(round_)
    form = SessionForm(
        request.POST if request.method == "POST" else None, round_=round_, offered=offered
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_open(round_=round_, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã mở phiên họp “{session.title}”.")
            return redirect("council:session", city=place.pk, session_pk=session.pk)
    return render(
        request,
        "appraisal/council/session_form.html",
        {"city": place, "round": round_, "form": form, "section": "sessions"},
    )


@rule("council")
def session(request: AuthenticatedRequest, city: int, session_pk: int) -> HttpResponse:
    """Per commune: the appraised total, the level it reaches against the level registered,
    each condition met or not, the votes so far, and the member's own vote.

    Not paginated: the session's agenda is voted and minuted whole, each commune beside the
    others; its queries are a fixed set whatever its length (tests/appraisal/test_council.py)."""
    place = _council_city(request, city)
    meeting = _session_for(place, session_pk)
    page = session_page(meeting, request.user)
    member_ids = {m.pk for m in page.members}
    is_open = meeting.status == CouncilSession.Status.OPEN
    may_prepare = may_prepare_council(request.user, place) and is_open
    add_form = None
    if may_prepare:
        offered = services.eligible_submissions(meeting.round)
        add_form = AddItemsForm(offered=offered) if offered.exists() else None
    return render(
        request,
        "appraisal/council/session.html",
        {
            "city": place,
            "meeting": meeting,
            "page": page,
            "is_open": is_open,
            "may_prepare": may_prepare,
            "vote_refusal": vote_refusal(request.user, place, member_ids),
            "vote_form": VoteForm(),
            "add_form": add_form,
            "majority": services.majority(len(member_ids)),
            "blocking": services.blocking(len(member_ids)),
            "names_after_decision": may_see_votes_by_name(request.user, place, True),
            "section": "sessions",
        },
    )


@rule("council")
@require_POST
def session_items(request: AuthenticatedRequest, city: int, session_pk: int) -> HttpResponse:
    place = get_city_for_user(request.user, city)
    meeting = _session_for(place, session_pk)
    require_prepare_council(request.user, place)
    form = AddItemsForm(request.POST, offered=services.eligible_submissions(meeting.round))
    if form.is_valid():
        try:
            added = services.session_add_items(
                session=meeting, by=request.user, submissions=form.cleaned_data["submissions"]
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, f"Đã đưa {len(added)} hồ sơ ra phiên họp.")
    else:
        _form_refused(request, form)
    return redirect("council:session", city=place.pk, session_pk=meeting.pk)


@rule("council")
@require_POST
def item_remove(
    request: AuthenticatedRequest, city: int, session_pk: int, council_item_pk: int
) -> HttpResponse:
    place = get_city_for_user(request.user, city)
    meeting = _session_for(place, session_pk)
    require_prepare_council(request.user, place)
    item = _item_for(meeting, council_item_pk)
    try:
        services.item_remove(item=item, by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Đã bỏ hồ sơ {item.submission.commune} khỏi phiên họp.")
    return redirect("council:session", city=place.pk, session_pk=meeting.pk)


@rule("council")
@require_POST
def vote(
    request: AuthenticatedRequest, city: int, session_pk: int, council_item_pk: int
) -> HttpResponse:
    """A member's vote on one commune (cast, or changed while the item is undecided)."""
    place = get_city_for_user(request.user, city)
    meeting = _session_for(place, session_pk)
    item = _item_for(meeting, council_item_pk)
    require_vote(request.user, place, set(meeting.members.values_list("pk", flat=True)))
    form = VoteForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
    else:
        try:
            decided = services.vote_cast(item=item, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(request, error)
        else:
            commune = item.submission.commune
            if decided.result == CouncilItem.Result.PENDING:
                messages.success(request, f"Đã ghi biểu quyết của anh/chị về {commune}.")
            else:
                messages.success(
                    request,
                    f"Đã ghi biểu quyết. Hội đồng đã quyết định về {commune}: "
                    f"{decided.get_result_display()} ({decided.votes_for} đồng ý, "
                    f"{decided.votes_against} không đồng ý).",
                )
    url = reverse("council:session", kwargs={"city": place.pk, "session_pk": meeting.pk})
    return redirect(f"{url}#muc-{item.pk}")


@rule("council")
@require_POST
def session_close(request: AuthenticatedRequest, city: int, session_pk: int) -> HttpResponse:
    """End the session; communes still undecided are not recognised (no majority)."""
    place = get_city_for_user(request.user, city)
    meeting = _session_for(place, session_pk)
    require_prepare_council(request.user, place)
    try:
        services.session_close(session=meeting, by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"Đã kết thúc phiên họp “{meeting.title}”.")
    return redirect("council:session", city=place.pk, session_pk=meeting.pk)


@rule("city_admin")
def recognition(request: AuthenticatedRequest, city: int, round_pk: int) -> HttpResponse:
    """The city's recognition decision for the round's concluded submissions, as the council
    decided them; the decisions already recorded.

    Not paginated: the form chooses among every concluded submission at once (one decision
    names them all); its queries are a fixed set (tests/appraisal/test_council.py)."""
    place = get_city_for_user(request.user, city)
    round_ = round_for(place, round_pk)
    require_city_admin(request.user, place)
    concluded = services.concluded_with_result(round_)
    offered = services.concluded_submissions(round_)
    form = RecognitionForm(request.POST if request.method == "POST" else None, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.recognition_record(
                round_=round_, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã ghi {decision}.")
            return redirect("council:recognition", city=place.pk, round_pk=round_.pk)
    decisions = (
        RecognitionDecision.objects.filter(round=round_)
        .prefetch_related("submissions__assessment__commune")
        .order_by("-signed_on", "-pk")
    )
    return render(
        request,
        "appraisal/council/recognition.html",
        {
            "city": place,
            "round": round_,
            "concluded": concluded,
            "form": form if concluded else None,
            "decisions": list(decisions),
            "section": "rounds",
        },
    )
