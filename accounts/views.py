"""Account security: the second factor (enrol, give a code, recovery codes, reset)."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import CodeForm, EnrolForm, LoginForm
from accounts.roles import two_factor_required
from accounts.services import (
    HAS_DEVICE,
    SHOW_CODES,
    password_changed,
    recovery_codes_left,
    recovery_codes_replace,
    second_factor_verify,
    session_track,
    totp_secret,
    two_factor_enrol_confirm,
    two_factor_enrol_start,
    two_factor_reset,
)
from assessments.access import rule
from guards.http import AuthenticatedRequest
from guards.inputs import on_portal


def _next(request: HttpRequest, default: str = "home") -> str:
    """Where to go on: the form's `next`, else the address's (the second factor's pages are
    reached with one), when it is a path on this portal; else the page named `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if on_portal(request, target) else reverse(default)


def _mark_verified(request: AuthenticatedRequest, device: Device) -> None:
    """The session has passed the second factor: a new session key, so a key seen before the
    code was given is worth nothing."""
    django_otp.login(request, device)
    request.session.cycle_key()
    request.session[HAS_DEVICE] = True
    session_track(user=request.user, request=request)


def _has_app(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _code_form(auto_id: str) -> CodeForm:
    """Two of these on one page: their own ids, and neither takes the focus."""
    form = CodeForm(auto_id=auto_id)
    form.fields["code"].widget.attrs.pop("autofocus", None)
    return form


@rule("signed_in")
@never_cache
def security(request: AuthenticatedRequest) -> HttpResponse:
    """Bảo mật tài khoản: whether the second factor is on, recovery codes left."""
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "has_app": _has_app(user),
            "codes_left": recovery_codes_left(user),
            "required": two_factor_required(user),
            "enforced": settings.OTP_ENFORCE,
            "regenerate_form": _code_form("tao-lai-%s"),
            "reset_form": _code_form("dat-lai-%s"),
        },
    )


@rule("signed_in")
@never_cache
def enrol(request: AuthenticatedRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), give the first code."""
    user = request.user
    if _has_app(user):
        if user.is_verified():  # type: ignore[attr-defined]  # django-otp
            messages.info(request, "Xác thực hai lớp đã được bật cho tài khoản này.")
            return redirect("accounts:security")
        return redirect("accounts:verify")
    device = two_factor_enrol_start(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor_enrol_confirm(
                user=user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _mark_verified(request, device)
            request.session[SHOW_CODES] = codes
            messages.success(request, "Đã bật xác thực hai lớp.")
            codes_url = reverse("accounts:codes")
            return redirect(f"{codes_url}?{urlencode({'next': _next(request)})}")
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "secret": totp_secret(device),
            "required": two_factor_required(user),
            "next": _next(request),
        },
    )


@rule("signed_in")
@never_cache
def qr(request: AuthenticatedRequest) -> HttpResponse:
    """The otpauth:// address of the app being enrolled, as a QR code (an SVG image)."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        raise Http404("Không có ứng dụng nào đang chờ cài đặt.")
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, border=2
    )
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@rule("signed_in")
@never_cache
def verify(request: AuthenticatedRequest) -> HttpResponse:
    """The code from the app (or a recovery code), asked once per login."""
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]  # django-otp
        return redirect(_next(request))
    if not django_otp.user_has_device(user):
        request.session[HAS_DEVICE] = False  # removed since the login (e.g. from a shell)
        if two_factor_required(user):
            return redirect("accounts:enrol")
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _mark_verified(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    f"Bạn vừa dùng một mã khôi phục; còn {recovery_codes_left(user)} mã. "
                    "Hãy tạo mã mới ở trang Bảo mật tài khoản nếu sắp hết.",
                )
            return redirect(_next(request))
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)})


@rule("signed_in")
@never_cache
def codes(request: AuthenticatedRequest) -> HttpResponse:
    """The recovery codes just made, shown once: "Đã lưu" hides them for good."""
    if request.method == "POST":
        request.session.pop(SHOW_CODES, None)
        return redirect(_next(request, "accounts:security"))
    shown = request.session.get(SHOW_CODES)
    if not shown:
        messages.info(request, "Các mã khôi phục chỉ hiện một lần. Hãy tạo mã mới nếu cần.")
        return redirect("accounts:security")
    return render(
        request,
        "accounts/codes.html",
        {"codes": [_pretty(code) for code in shown], "next": _next(request)},
    )


def _pretty(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@rule("signed_in")
@never_cache
def codes_download(request: AuthenticatedRequest) -> HttpResponse:
    shown = request.session.get(SHOW_CODES)
    if not shown:
        raise Http404("Các mã khôi phục chỉ tải được ngay sau khi tạo.")
    lines = [
        "Mã khôi phục - Cổng Chính quyền thân thiện",
        f"Tài khoản: {request.user.get_username()}",
        f"Tạo lúc: {timezone.localtime():%H:%M %d/%m/%Y}",
        "Mỗi mã dùng được một lần, khi không có điện thoại. Hãy cất ở nơi an toàn.",
        "",
        *[_pretty(code) for code in shown],
        "",
    ]
    response = HttpResponse("\r\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ma-khoi-phuc.txt"'
    response["Cache-Control"] = "private, no-store"
    return response


def _confirm_with_code(request: AuthenticatedRequest) -> bool:
    """Sensitive changes ask for a current code again, even in a verified session."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Hãy nhập mã xác thực.")
        return False
    try:
        second_factor_verify(user=request.user, code=form.cleaned_data["code"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    return True


@rule("signed_in")
@require_POST
def codes_regenerate(request: AuthenticatedRequest) -> HttpResponse:
    if not _has_app(request.user):
        return redirect("accounts:security")
    if not _confirm_with_code(request):
        return redirect("accounts:security")
    request.session[SHOW_CODES] = recovery_codes_replace(user=request.user)
    messages.success(request, "Đã tạo mã khôi phục mới; các mã cũ không còn dùng được.")
    return redirect("accounts:codes")


@rule("signed_in")
@require_POST
def reset(request: AuthenticatedRequest) -> HttpResponse:
    """Remove the app (lost or changed phone) and log out the other sessions."""
    if not _has_app(request.user):
        return redirect("accounts:security")
    if not _confirm_with_code(request):
        return redirect("accounts:security")
    ended = two_factor_reset(user=request.user, keep_session=request.session.session_key)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[HAS_DEVICE] = False
    note = f" Đã đăng xuất {ended} phiên khác." if ended else ""
    messages.success(request, "Đã gỡ ứng dụng xác thực và mã khôi phục." + note)
    if two_factor_required(request.user):
        return redirect("accounts:enrol")
    return redirect("accounts:security")


class LoginView(auth_views.LoginView):
    form_class = LoginForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (other sessions end, this one stays), with the change in the audit
    trail."""

    request: AuthenticatedRequest

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        password_changed(user=self.request.user)
        return response
