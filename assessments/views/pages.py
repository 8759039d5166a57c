from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from assessments.access import (
    ADMIN,
    CITY,
    at_city,
    can_propose,
    concerns_user,
    effective_deadline,
    get_assessment_for_user,
    home_role,
    is_leader,
    is_reviewer,
    is_staff,
    may_assign,
    may_change_after_deadline,
    may_comment,
    may_see_city_scores,
    require_leader,
    rule,
    staff_window_open,
    staff_window_open_for,
    unit_id_of,
    visible_assessments,
)
from assessments.forms import AssignmentForm, CommentForm, ScoreForm
from assessments.models import CITY_SCORE_ACTIONS, Assessment, Assignment, Membership, Score
from assessments.periods import home_assessment
from assessments.selectors import assessment_results, assessment_tree, has_evidence
from assessments.services import (
    EDITABLE,
    REVIEWABLE,
    assignment_update,
    locked_message,
)
from assessments.views.queue import queue_navigation
from criteria.models import CriteriaSet
from criteria.rules import RuleKind
from criteria.scoring import describe_tiers, parse_tiers
from guards.inputs import id_param

ADMIN_PER_PAGE = 50


@rule("signed_in")
def home(request):
    """Each role lands on what it works on: its unit's sub-criteria, or the whole commune."""
    user = request.user
    role = home_role(user)
    if role == ADMIN:  # every commune's assessments: a city has hundreds, so pages of them
        ordered = visible_assessments(user).order_by("-year", "commune__name", "period", "pk")
        page = Paginator(ordered, ADMIN_PER_PAGE).get_page(request.GET.get("trang"))
        return render(
            request,
            "assessments/home_admin.html",
            {
                "assessments": page.object_list,
                "page": page,
                "criteria_sets": CriteriaSet.objects.all(),
            },
        )
    if role == CITY:
        return redirect("appraisal:home")
    assessments = list(visible_assessments(user))
    context = {"assessments": assessments}
    if role is None:
        return render(request, "assessments/home_no_commune.html", context)
    # The period chosen in the switcher, else the current one (assessments.periods).
    current = home_assessment(assessments, request.session)
    context["current"] = current
    if current is not None and is_reviewer(user, current):
        return redirect("reports:dashboard", pk=current.pk)
    if current is not None and is_staff(user, current):
        unit_id = unit_id_of(user)
        results = assessment_results(current)
        mine = [
            leaf
            for leaf in results.leaves
            if leaf.assignment is not None and leaf.assignment.is_led_by(unit_id)
        ]
        context.update(
            leaves=mine,
            returned=[leaf for leaf in mine if leaf.score.status == Score.Status.RETURNED],
            to_do=[leaf for leaf in mine if leaf.score.status in EDITABLE],
            ready=[
                leaf
                for leaf in mine
                if leaf.score.status in (Score.Status.DRAFT, Score.Status.RETURNED)
            ],
            points_mine=sum(leaf.criterion.max_points for leaf in mine),
            window_open=staff_window_open(current, unit=unit_id),
            # The unit's own deadline when a leader gave it one (issue 12).
            deadline=effective_deadline(current, unit_id),
            today=timezone.localdate(),
            # Sub-criteria the unit supports without leading them (one COUNT query).
            supported=Assignment.objects.filter(assessment=current)
            .supported_by(unit_id)
            .exclude(pk__in=Assignment.objects.led_by(unit_id).values("pk"))
            .count(),
        )
    template = {
        Membership.Role.STAFF: "assessments/home_staff.html",
        Membership.Role.LEADER: "assessments/home_leader.html",
        Membership.Role.SECRETARY: "assessments/home_secretary.html",
    }[role]
    return render(request, template, context)


@rule("member")
def assessment_detail(request, pk):
    """The criteria tree of an assessment with who leads each sub-criterion."""
    assessment = get_assessment_for_user(request.user, pk)
    units = list(assessment.commune.units.order_by("order", "name"))
    selected = None
    unit_param = request.GET.get("don-vi", "")
    if unit_param == "cua-toi":
        selected = next((u for u in units if u.pk == unit_id_of(request.user)), None)
    elif (unit_id := id_param(request.GET, "don-vi")) is not None:
        selected = next((u for u in units if u.pk == unit_id), None)
    tree = assessment_tree(assessment, unit=selected, own_unit=unit_id_of(request.user))
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "tree": tree,
            "units": units,
            "selected_unit": selected,
            "unit_param": unit_param,
            "can_assign": may_assign(request.user, assessment),
        },
    )


@rule("leader")
def assignment_edit(request, pk, criterion_pk):
    """Leaders change the lead unit and supporting units of one sub-criterion; a locked
    assessment shows who does what and offers no form."""
    assessment = get_assessment_for_user(request.user, pk)
    require_leader(request.user, assessment)
    assignment = get_object_or_404(
        Assignment.objects.select_related("criterion", "lead_unit"),
        assessment=assessment,
        criterion_id=criterion_pk,
    )
    if not may_assign(request.user, assessment):
        if request.method == "POST":
            messages.error(request, locked_message("đổi phân công"))
        return render(
            request,
            "assessments/assignment_form.html",
            {
                "assessment": assessment,
                "assignment": assignment,
                "form": None,
                "supporting": assignment.supporting_units.all(),
                "locked": locked_message("đổi phân công"),
            },
        )
    initial = {
        "lead_unit": assignment.lead_unit,
        "supporting_units": list(assignment.supporting_units.all()),
    }
    form = AssignmentForm(request.POST or None, initial=initial, commune=assessment.commune)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_update(
                assignment=assignment,
                lead_unit=form.cleaned_data["lead_unit"],
                supporting_units=list(form.cleaned_data["supporting_units"]),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Đã lưu phân công tiêu chí {assignment.criterion.code}.")
            url = reverse("assessments:detail", args=[assessment.pk])
            return redirect(f"{url}#tc-{assignment.criterion_id}")
    return render(
        request,
        "assessments/assignment_form.html",
        {"assessment": assessment, "assignment": assignment, "form": form},
    )


@rule("member")
def criterion_detail(request, pk, criterion_pk):
    """One sub-criterion: its rule, who leads it, and (loaded by htmx) its evidence."""
    assessment = get_assessment_for_user(request.user, pk)
    assignment = get_object_or_404(
        Assignment.objects.select_related(
            "criterion", "criterion__parent", "lead_unit"
        ).prefetch_related("supporting_units"),
        assessment=assessment,
        criterion_id=criterion_pk,
    )
    supporting = list(assignment.supporting_units.all())
    ancestors = []
    node = assignment.criterion.parent
    while node is not None:
        ancestors.insert(0, node)
        node = node.parent
    score = get_object_or_404(
        Score.objects.select_related("proposed_by", "leader_by", "appraised_by"),
        assessment=assessment,
        criterion_id=criterion_pk,
    )
    criterion = assignment.criterion
    may_propose = (
        can_propose(request.user, assessment, assignment)
        and assessment.status == Assessment.Status.OPEN
        and score.status in EDITABLE
        and may_change_after_deadline(request.user, assessment)
    )
    may_review = is_leader(request.user, assessment) and assessment.status == Assessment.Status.OPEN
    # The review queue's way on: "Mục tiếp theo (n còn lại)" on a waiting item.
    queue_nav = None
    if may_review and (score.status in REVIEWABLE or request.GET.get("hang-doi") == "1"):
        queue_nav = queue_navigation(request, assessment, score)
    typed = request.session.pop(f"score-draft-{score.pk}", None)
    refusal = request.session.pop(f"score-refusal-{score.pk}", None) or {}
    # A refused decision of the leader: the field it is about is marked, what they typed kept.
    review_typed = request.session.pop(f"review-refusal-{score.pk}", None) or {}
    # Warn before submitting or approving points without evidence (one query, when asked).
    evidence_missing = (
        (may_propose or may_review)
        and assessment.criteria_set.evidence_required
        and not has_evidence(score)
    )
    form = None
    if may_propose:
        initial = {
            "version": score.version,
            "not_arising": score.not_arising,
            "points": score.proposed_points,
            "numerator": score.numerator,
            "denominator": score.denominator,
            "result_text": score.result_text,
            "next_tasks": score.next_tasks,
            "shortfall_reason": score.shortfall_reason,
        }
        if criterion.rule == RuleKind.PASS_FAIL and score.proposed_points is not None:
            initial["passed"] = "1" if score.proposed_points == criterion.max_points else "0"
        if typed:
            # The save was refused (stale or invalid): show what they typed, against the
            # newest version, so nothing they wrote is lost, with each error on its field
            # (aria-invalid and the message below it, by Django and crispy-forms).
            initial.update({k: v for k, v in typed.items() if k != "version"})
            form = ScoreForm(
                {**typed, "version": score.version},
                initial=initial,
                criterion=criterion,
                evidence_missing=evidence_missing,
            )
            form.is_valid()
            form.show_refusal(refusal)
        else:
            form = ScoreForm(
                initial=initial, criterion=criterion, evidence_missing=evidence_missing
            )
    # The city's scores (its column, its entries in the history): only for who may see them.
    see_city = may_see_city_scores(request.user, assessment)
    events = score.events.select_related("user")
    if not see_city:
        events = events.exclude(action__in=CITY_SCORE_ACTIONS)
    return render(
        request,
        "assessments/criterion_detail.html",
        {
            "assessment": assessment,
            "criteria_set": assessment.criteria_set,
            "assignment": assignment,
            "criterion": criterion,
            "ancestors": ancestors,
            "supporting": supporting,
            "is_own": concerns_user(request.user, assignment),
            "can_assign": may_assign(request.user, assessment),
            "score": score,
            "form": form,
            "may_review": may_review and score.status in REVIEWABLE | {Score.Status.APPROVED},
            "evidence_missing": evidence_missing,
            "queue_nav": queue_nav,
            "review_typed": review_typed,
            "review_errors": review_typed.get("fields", {}),
            "events": events[:100],
            "see_city": see_city,
            # A frozen dossier at the city: changes go through the city's request to explain.
            "sent_to_city": at_city(assessment)
            if assessment.status == Assessment.Status.FROZEN
            else None,
            "tiers_text": describe_tiers(parse_tiers(criterion.tiers))
            if criterion.rule == RuleKind.TIERS
            else "",
            "window_open": staff_window_open_for(request.user, assessment),
            "deadline": effective_deadline(assessment, unit_id_of(request.user)),
            "RuleKind": RuleKind,
            # Comments are changes too: none once the assessment is locked; they stay open
            # on a frozen one (they change no score), to say what needs correcting.
            "comment_form": CommentForm() if may_comment(assessment) else None,
        },
    )
