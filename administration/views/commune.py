"""The commune's administrator runs the commune here ("Quản trị xã"): its units, its people
and their roles, the report's defaults, and its first assessment. System administrators
reach every commune the same way (the commune is in the URL); anyone else of the commune is
refused, and another commune's pages are 404 to its people."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.services import login_unlock, two_factor_reset
from administration.commune_forms import (
    AssessmentCreateForm,
    MemberForm,
    PasswordResetForm,
    ReportSettingsForm,
    UnitForm,
)
from administration.commune_services import (
    account_set_active,
    first_assessment_create,
    member_create,
    member_update,
    password_reset,
    report_settings_save,
    unit_delete,
    unit_save,
    unit_uses,
)
from assessments.access import (
    administered_commune_id,
    get_commune_for_admin,
    is_admin,
    is_leader,
    may_manage_account,
    require_manage_account,
    rule,
)
from assessments.models import Assessment, Commune, Membership, Unit
from guards.http import AuthenticatedRequest
from guards.inputs import errors_to_form

PER_PAGE = 50  # a system administrator chooses among every commune: pages of them


def _member_for(commune: Commune, user_pk: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "unit", "commune")
        .filter(commune=commune, user_id=user_pk)
        .first()
    )
    if membership is None:
        raise Http404("Không tìm thấy người dùng của xã.")
    return membership


def _managed_member_for(
    request: AuthenticatedRequest, commune: Commune, user_pk: int
) -> Membership:
    """The person, when the current user may change their account (not a system
    administrator's account, unless they are one): 403 otherwise."""
    membership = _member_for(commune, user_pk)
    require_manage_account(request.user, membership.user)
    return membership


def _unit_for(commune: Commune, unit_pk: int) -> Unit:
    unit = commune.units.filter(pk=unit_pk).first()
    if unit is None:
        raise Http404("Không tìm thấy đơn vị của xã.")
    return unit


@rule("commune_admin")
def index(request: AuthenticatedRequest) -> HttpResponse:
    """A commune's administrator goes to their commune; system administrators choose one."""
    commune_id = administered_commune_id(request.user)
    if commune_id is not None:
        return redirect("commune_admin:home", commune_pk=commune_id)
    if not is_admin(request.user):
        raise PermissionDenied("Chỉ quản trị của xã mới làm được việc này.")
    communes = Commune.objects.select_related("city").order_by("city__name", "name", "pk")
    page = Paginator(communes, PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request, "administration/commune/choose.html", {"communes": page.object_list, "page": page}
    )


@rule("commune_admin")
def home(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    """What is set up and what is left: units, people, the report's signer, an assessment."""
    commune = get_commune_for_admin(request.user, commune_pk)
    memberships = commune.memberships.filter(user__is_active=True)
    assessment = commune.assessments.order_by("-year", "-period").first()
    steps = [
        ("units", "Đơn vị", commune.units.count(), "commune_admin:units"),
        ("people", "Người dùng đang hoạt động", memberships.count(), "commune_admin:users"),
        (
            "leaders",
            "Lãnh đạo UBND",
            memberships.filter(role=Membership.Role.LEADER).count(),
            "commune_admin:users",
        ),
    ]
    return render(
        request,
        "administration/commune/home.html",
        {
            "commune": commune,
            "steps": steps,
            "assessment": assessment,
            "may_open_next": assessment is not None and is_leader(request.user, assessment),
        },
    )


# -- Units ------------------------------------------------------------------------------------


@rule("commune_admin")
def units(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    rows = commune.units.order_by("order", "name")
    return render(request, "administration/commune/units.html", {"commune": commune, "rows": rows})


@rule("commune_admin")
def unit_edit(
    request: AuthenticatedRequest, commune_pk: int, unit_pk: int | None = None
) -> HttpResponse:
    """Add a unit (no `unit_pk`) or change one."""
    commune = get_commune_for_admin(request.user, commune_pk)
    unit = _unit_for(commune, unit_pk) if unit_pk is not None else None
    initial = (
        {
            "name": unit.name,
            "short_name": unit.short_name,
            "is_collective": unit.is_collective,
            "order": unit.order,
        }
        if unit is not None
        else {"order": (commune.units.count() + 1)}
    )
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = unit_save(commune=commune, unit=unit, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã lưu đơn vị “{saved.name}”.")
            return redirect("commune_admin:units", commune_pk=commune.pk)
    return render(
        request,
        "administration/commune/unit_form.html",
        {
            "commune": commune,
            "unit": unit,
            "form": form,
            "uses": unit_uses(unit) if unit is not None else [],
        },
    )


@rule("commune_admin")
@require_POST
def unit_remove(request: AuthenticatedRequest, commune_pk: int, unit_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    unit = _unit_for(commune, unit_pk)
    try:
        unit_delete(unit=unit, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("commune_admin:unit_edit", commune_pk=commune.pk, unit_pk=unit.pk)
    messages.success(request, f"Đã xóa đơn vị “{unit.name}”.")
    return redirect("commune_admin:units", commune_pk=commune.pk)


# -- People -----------------------------------------------------------------------------------


@rule("commune_admin")
def users(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    rows = list(
        commune.memberships.select_related("user", "unit").order_by(
            "-user__is_active", "role", "unit__order", "user__last_name", "user__username"
        )
    )
    with_app = set(
        get_user_model()
        .objects.filter(pk__in=[m.user_id for m in rows], totpdevice__confirmed=True)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "administration/commune/users.html",
        {"commune": commune, "rows": rows, "with_app": with_app},
    )


@rule("commune_admin")
def user_add(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    form = MemberForm(request.POST or None, commune=commune, adding=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = member_create(
                commune=commune,
                by=request.user,
                username=data["username"],
                full_name=data["full_name"],
                password=data["password1"],
                role=data["role"],
                unit=data["unit"],
                title=data["title"],
                email=data["email"],
                is_commune_admin=data["is_commune_admin"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                f"Đã thêm {account.get_full_name()} ({account.username}). Hãy trao mật khẩu "
                "ban đầu tận tay; người dùng đổi mật khẩu sau khi đăng nhập.",
            )
            return redirect("commune_admin:users", commune_pk=commune.pk)
    return render(
        request,
        "administration/commune/user_form.html",
        {"commune": commune, "form": form, "member": None},
    )


@rule("commune_admin")
def user_edit(request: AuthenticatedRequest, commune_pk: int, user_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    member = _member_for(commune, user_pk)
    account = member.user
    initial = {
        "full_name": account.get_full_name(),
        "email": account.email,
        "role": member.role,
        "unit": member.unit_id,
        "title": member.title,
        "is_commune_admin": member.is_commune_admin,
    }
    form = MemberForm(request.POST or None, initial=initial, commune=commune, adding=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_update(
                membership=member,
                by=request.user,
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                unit=data["unit"],
                title=data["title"],
                is_commune_admin=data["is_commune_admin"],
            )
        except ValidationError as error:
            member.refresh_from_db()
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã lưu thông tin của {account.get_full_name()}.")
            return redirect("commune_admin:users", commune_pk=commune.pk)
    return render(
        request,
        "administration/commune/user_form.html",
        {
            "commune": commune,
            "form": form,
            "member": member,
            "account": account,
            "is_self": account.pk == request.user.pk,
            "has_app": django_otp.user_has_device(account),
            "may_manage": may_manage_account(request.user, account),
        },
    )


@rule("commune_admin")
def user_password(request: AuthenticatedRequest, commune_pk: int, user_pk: int) -> HttpResponse:
    """A new temporary password, typed twice; the person's sessions end."""
    commune = get_commune_for_admin(request.user, commune_pk)
    member = _managed_member_for(request, commune, user_pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset(
                commune=commune,
                account=member.user,
                password=form.cleaned_data["password1"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            messages.success(
                request,
                f"Đã đặt lại mật khẩu của {member.user.get_full_name()}; các phiên đăng nhập "
                "của người này đã kết thúc.",
            )
            return redirect("commune_admin:user_edit", commune_pk=commune.pk, user_pk=user_pk)
    return render(
        request,
        "administration/commune/password_form.html",
        {"commune": commune, "member": member, "form": form},
    )


@rule("commune_admin")
@require_POST
def user_active(request: AuthenticatedRequest, commune_pk: int, user_pk: int) -> HttpResponse:
    """Lock (`active=0`) or reopen (`active=1`) an account."""
    commune = get_commune_for_admin(request.user, commune_pk)
    member = _managed_member_for(request, commune, user_pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        messages.error(request, "Yêu cầu không hợp lệ; hãy tải lại trang.")
    else:
        try:
            account_set_active(
                commune=commune, account=member.user, active=wanted == "1", by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = "Đã mở lại" if wanted == "1" else "Đã khóa"
            messages.success(request, f"{done} tài khoản {member.user.get_full_name()}.")
    return redirect("commune_admin:user_edit", commune_pk=commune.pk, user_pk=user_pk)


@rule("commune_admin")
@require_POST
def user_two_factor(request: AuthenticatedRequest, commune_pk: int, user_pk: int) -> HttpResponse:
    """Remove the person's authenticator app and recovery codes (a lost phone)."""
    commune = get_commune_for_admin(request.user, commune_pk)
    member = _managed_member_for(request, commune, user_pk)
    two_factor_reset(user=member.user, by=request.user)
    messages.success(
        request,
        f"Đã đặt lại xác thực hai lớp của {member.user.get_full_name()}: lần đăng nhập sau, "
        "người này cài lại ứng dụng xác thực.",
    )
    return redirect("commune_admin:user_edit", commune_pk=commune.pk, user_pk=user_pk)


@rule("commune_admin")
@require_POST
def user_unlock(request: AuthenticatedRequest, commune_pk: int, user_pk: int) -> HttpResponse:
    """Forget the failed logins that locked the person out."""
    commune = get_commune_for_admin(request.user, commune_pk)
    member = _managed_member_for(request, commune, user_pk)
    cleared = login_unlock(username=member.user.username, by=request.user)
    messages.success(
        request,
        f"Đã mở khóa đăng nhập của {member.user.get_full_name()}"
        + (f" ({cleared} lần đăng nhập sai được xóa)." if cleared else "."),
    )
    return redirect("commune_admin:user_edit", commune_pk=commune.pk, user_pk=user_pk)


# -- The report's defaults and the first assessment ---------------------------------------------


@rule("commune_admin")
def report_settings(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    commune = get_commune_for_admin(request.user, commune_pk)
    initial = {
        "report_recipients": commune.report_recipients,
        "address": commune.address,
        "place_name": commune.place_name,
        "report_signer": commune.report_signer_id,
        "report_authority": commune.report_authority,
    }
    form = ReportSettingsForm(request.POST or None, initial=initial, commune=commune)
    if request.method == "POST" and form.is_valid():
        try:
            report_settings_save(commune=commune, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, "Đã lưu thiết lập báo cáo của xã.")
            return redirect("commune_admin:home", commune_pk=commune.pk)
    return render(
        request, "administration/commune/report_settings.html", {"commune": commune, "form": form}
    )


@rule("commune_admin")
def assessment_new(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    """The commune's first assessment; later ones follow from the current one."""
    commune = get_commune_for_admin(request.user, commune_pk)
    current = commune.assessments.order_by("-year", "-period").first()
    form = AssessmentCreateForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "period": Assessment.Period.FIRST_HALF},
    )
    if request.method == "POST" and current is None and form.is_valid():
        try:
            assessment = first_assessment_create(
                commune=commune, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                f"Đã tạo kỳ đánh giá {assessment.get_period_display()} {assessment.year}. "
                "Tiêu chí thành phần được giao cho đơn vị trùng tên với đơn vị chủ trì trong bộ "
                "tiêu chí; lãnh đạo xem lại phân công.",
            )
            return redirect("assessments:detail", pk=assessment.pk)
    elif request.method == "POST" and current is not None:
        messages.error(
            request,
            "Xã đã có kỳ đánh giá: kỳ mới được tạo tiếp theo kỳ hiện tại (“Tạo kỳ tiếp theo”).",
        )
    return render(
        request,
        "administration/commune/assessment_form.html",
        {
            "commune": commune,
            "form": form,
            "current": current,
            "may_open_next": current is not None and is_leader(request.user, current),
        },
    )
