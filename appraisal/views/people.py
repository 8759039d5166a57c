"""The city's people, managed by the city's administrator ("Người dùng" of the city's pages):
the list, adding a person (the portal makes a temporary password and shows it once), their
role and title, locking and reopening, a new temporary password, resetting the second factor.

Appraisers and the council are refused (403), a commune's people too; another city's pages
and people are 404. The services (appraisal/people_services.py) check the same again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import login_unlock, two_factor_reset
from appraisal.people_forms import CityPersonForm
from appraisal.people_selectors import city_people, city_person_of
from appraisal.people_services import (
    city_person_create,
    city_person_password_reset,
    city_person_set_active,
    city_person_update,
)
from assessments.access import (
    get_city_for_user,
    may_manage_account,
    require_city_admin,
    require_manage_account,
    rule,
)
from assessments.models import City, CityMembership
from guards.http import AuthenticatedRequest
from guards.inputs import errors_to_form

PER_PAGE = 50  # the city's people grow with it: pages of them


def _city(request: AuthenticatedRequest, city: int) -> City:
    """The city, for its administrators: 403 to its other people and to a commune's, 404 to
    another city's."""
    place = get_city_for_user(request.user, city)
    require_city_admin(request.user, place)
    return place


def _person(request: AuthenticatedRequest, place: City, person_pk: int) -> CityMembership:
    membership = city_person_of(place, person_pk)
    if membership is None:
        raise Http404("Không tìm thấy người dùng của thành phố.")
    return membership


def _managed(request: AuthenticatedRequest, place: City, person_pk: int) -> CityMembership:
    """The person, when the current user may change their account (not a system
    administrator's account, unless they are one): 403 otherwise."""
    membership = _person(request, place, person_pk)
    require_manage_account(request.user, membership.user)
    return membership


@rule("city_admin")
def people(request: AuthenticatedRequest, city: int) -> HttpResponse:
    """The city's people: name, user name, role, title, active, second factor."""
    place = _city(request, city)
    page = Paginator(city_people(place), PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request,
        "appraisal/people/people.html",
        {"city": place, "rows": page.object_list, "page": page, "section": "people"},
    )


def _password_page(
    request: AuthenticatedRequest, place: City, account: User, password: str, *, new: bool
) -> HttpResponse:
    return render(
        request,
        "appraisal/people/password_once.html",
        {"city": place, "account": account, "password": password, "new": new, "section": "people"},
    )


@rule("city_admin")
@never_cache
def person_add(request: AuthenticatedRequest, city: int) -> HttpResponse:
    """Add a person; the temporary password is shown on the next page, once."""
    place = _city(request, city)
    form = CityPersonForm(request.POST if request.method == "POST" else None, adding=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = city_person_create(
                city=place,
                by=request.user,
                username=data["username"],
                full_name=data["full_name"],
                role=data["role"],
                title=data["title"],
                email=data["email"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            return _password_page(request, place, created.user, created.password, new=True)
    return render(
        request,
        "appraisal/people/person_form.html",
        {"city": place, "form": form, "member": None, "section": "people"},
    )


@rule("city_admin")
def person_edit(request: AuthenticatedRequest, city: int, person_pk: int) -> HttpResponse:
    """Change a person's name, email, role and title; the account's actions beside."""
    place = _city(request, city)
    member = _person(request, place, person_pk)
    account = member.user
    initial = {
        "full_name": account.get_full_name(),
        "email": account.email,
        "role": member.role,
        "title": member.title,
    }
    form = CityPersonForm(
        request.POST if request.method == "POST" else None, initial=initial, adding=False
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            city_person_update(
                membership=member,
                by=request.user,
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                title=data["title"],
            )
        except ValidationError as error:
            member.refresh_from_db()
            errors_to_form(form, error)
        else:
            messages.success(request, f"Đã lưu thông tin của {account.get_full_name()}.")
            return redirect("appraisal:people", city=place.pk)
    return render(
        request,
        "appraisal/people/person_form.html",
        {
            "city": place,
            "form": form,
            "member": member,
            "account": account,
            "is_self": account.pk == request.user.pk,
            "has_app": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
            "may_manage": may_manage_account(request.user, account),
            "section": "people",
        },
    )


@rule("city_admin")
@require_POST
def person_active(request: AuthenticatedRequest, city: int, person_pk: int) -> HttpResponse:
    """Lock (`active=0`) or reopen (`active=1`) an account."""
    place = _city(request, city)
    member = _managed(request, place, person_pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        messages.error(request, "Yêu cầu không hợp lệ; hãy tải lại trang.")
    else:
        try:
            city_person_set_active(membership=member, active=wanted == "1", by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = "Đã mở lại" if wanted == "1" else "Đã khóa"
            messages.success(request, f"{done} tài khoản {member.user.get_full_name()}.")
    return redirect("appraisal:person_edit", city=place.pk, person_pk=person_pk)


@rule("city_admin")
@require_POST
@never_cache
def person_password(request: AuthenticatedRequest, city: int, person_pk: int) -> HttpResponse:
    """A new temporary password, shown once; the person's sessions end."""
    place = _city(request, city)
    member = _managed(request, place, person_pk)
    password = city_person_password_reset(membership=member, by=request.user)
    return _password_page(request, place, member.user, password, new=False)


@rule("city_admin")
@require_POST
def person_two_factor(request: AuthenticatedRequest, city: int, person_pk: int) -> HttpResponse:
    """Remove the person's authenticator app and recovery codes (a lost phone)."""
    place = _city(request, city)
    member = _managed(request, place, person_pk)
    two_factor_reset(user=member.user, by=request.user)
    messages.success(
        request,
        f"Đã đặt lại xác thực hai lớp của {member.user.get_full_name()}: lần đăng nhập sau, "
        "người này cài lại ứng dụng xác thực.",
    )
    return redirect("appraisal:person_edit", city=place.pk, person_pk=person_pk)


@rule("city_admin")
@require_POST
def person_unlock(request: AuthenticatedRequest, city: int, person_pk: int) -> HttpResponse:
    """Forget the failed logins that locked the person out."""
    place = _city(request, city)
    member = _managed(request, place, person_pk)
    cleared = login_unlock(username=member.user.username, by=request.user)
    messages.success(
        request,
        f"Đã mở khóa đăng nhập của {member.user.get_full_name()}"
        + (f" ({cleared} lần đăng nhập sai được xóa)." if cleared else "."),
    )
    return redirect("appraisal:person_edit", city=place.pk, person_pk=person_pk)
