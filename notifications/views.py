"""Thông báo: a person's own notices (list, open, mark read) and their email choice."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guards.http import AuthenticatedRequest
from guards.inputs import next_url, on_portal
from guards.rules import rule
from notifications.forms import EmailSettingForm
from notifications.models import Notification
from notifications.selectors import email_wanted, notifications_of
from notifications.services import (
    notification_read,
    notification_setting_set,
    notifications_read_all,
)

PER_PAGE = 20


@rule("signed_in")
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    """The person's notices, newest first, unread marked; mark all read; email on or off."""
    notices = notifications_of(request.user)
    unread_only = request.GET.get("loc") == "chua-doc"
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("trang"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "setting_form": EmailSettingForm(initial={"email": email_wanted(request.user)}),
            "has_email": bool(request.user.email),
        },
    )


@rule("signed_in")
def notification_open(request: AuthenticatedRequest, notification_pk: int) -> HttpResponse:
    """Opening a notice marks it read and goes where it points (a page of this portal only)."""
    notice = get_object_or_404(Notification, pk=notification_pk, user=request.user)
    notification_read(notice=notice)
    if notice.url and on_portal(request, notice.url):
        return redirect(notice.url)
    return redirect("notifications:list")


@rule("signed_in")
@require_POST
def notification_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = notifications_read_all(user=request.user)
    messages.success(request, f"Đã đánh dấu {count} thông báo là đã đọc.")
    return redirect(next_url(request, reverse("notifications:list")))


@rule("signed_in")
@require_POST
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Email on or off; the notices stay in the portal either way."""
    form = EmailSettingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Lựa chọn không hợp lệ; hãy tải lại trang.")
    else:
        setting = notification_setting_set(user=request.user, email=form.cleaned_data["email"])
        messages.success(
            request,
            "Đã bật gửi thông báo qua thư điện tử."
            if setting.email
            else "Đã tắt thư điện tử: thông báo chỉ hiện trong cổng.",
        )
    return redirect("notifications:list")
