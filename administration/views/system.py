"""The system administrator's pages (/quan-tri-he-thong/): the communes, a new commune with
its first administrator, and a commune's accounts imported from a sheet (which the commune's
own administrator may do too, for their commune only)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from administration.system_forms import AccountsImportForm, CommuneCreateForm, ImportConfirmForm
from administration.system_import import (
    CONTENT_TYPE,
    HEADERS,
    MAX_ROWS,
    SheetRow,
    blank_template,
    judge_rows,
    read_accounts_xlsx,
)
from administration.system_selectors import communes_overview
from administration.system_services import accounts_import, commune_create_with_admin
from assessments.access import get_commune_for_admin, require_system_admin, rule
from assessments.models import Commune
from guards.http import AuthenticatedRequest
from guards.inputs import nfc
from guards.uploads import accepts_files, human_size

PER_PAGE = 50
PREVIEW_KEY = "accounts_import"


@rule("system_admin")
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The communes, their size and who administers each."""
    require_system_admin(request.user)
    page = Paginator(communes_overview(), PER_PAGE).get_page(request.GET.get("trang"))
    return render(request, "administration/system/home.html", {"page": page})


@rule("system_admin")
def commune_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new commune together with its first administrator, in one step."""
    require_system_admin(request.user)
    form = CommuneCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            commune = commune_create_with_admin(
                kind=data["kind"],
                name=data["name"],
                city=data["city"],
                address=data["address"],
                username=data["username"],
                full_name=data["full_name"],
                title=data["title"],
                email=data["email"],
                password=data["password1"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Đã tạo {commune} và tài khoản quản trị {data['username']}. "
                "Có thể nhập danh sách tài khoản của xã từ tệp Excel.",
            )
            return redirect("system_admin:accounts_import", commune_pk=commune.pk)
    return render(request, "administration/system/commune_form.html", {"form": form})


def _import_page(
    request: AuthenticatedRequest, commune: Commune, form: forms.Form, **extra: Any
) -> HttpResponse:
    context = {
        "commune": commune,
        "form": form,
        "headers": HEADERS,
        "max_rows": MAX_ROWS,
        **extra,
    }
    return render(request, "administration/system/accounts_import.html", context)


REFUSED = "Tệp bị từ chối toàn bộ: chưa tạo tài khoản nào. Hãy sửa các lỗi dưới đây rồi tải lại."


def _refused(
    request: AuthenticatedRequest, commune: Commune, form: forms.Form, problems: list[str]
) -> HttpResponse:
    return _import_page(request, commune, form, problems=problems, error=REFUSED)


def _preview_rows(request: AuthenticatedRequest, commune: Commune) -> list[SheetRow] | None:
    preview = request.session.get(PREVIEW_KEY) or {}
    if preview.get("commune") != commune.pk:
        return None
    return [SheetRow(row, values) for row, values in preview.get("rows", [])]


@rule("commune_admin")
@accepts_files(max_size_setting="ADMIN_MAX_UPLOAD_SIZE")
def accounts_import_view(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    """Upload a sheet: every row is checked; a sheet with any problem is refused whole with
    its problems by row, otherwise the page shows its accounts for confirmation (kept in the
    session until confirmed or replaced by another upload)."""
    commune = get_commune_for_admin(request.user, commune_pk)
    if request.method != "POST":
        rows = _preview_rows(request, commune)
        if not rows:
            return _import_page(request, commune, AccountsImportForm())
        accounts, problems = judge_rows(rows, commune)  # the database may have changed
        if problems:
            del request.session[PREVIEW_KEY]
            return _refused(request, commune, AccountsImportForm(), problems)
        preview = request.session[PREVIEW_KEY]
        return _import_page(
            request,
            commune,
            AccountsImportForm(),
            accounts=accounts,
            confirm_form=ImportConfirmForm(initial={"token": preview["token"]}),
            file_name=preview.get("file", ""),
        )
    request.session.pop(PREVIEW_KEY, None)
    form = AccountsImportForm(request.POST, request.FILES)
    if getattr(request, "oversize_uploads", []):
        form.add_error(None, f"Tệp lớn hơn giới hạn {human_size(settings.ADMIN_MAX_UPLOAD_SIZE)}.")
    if not form.is_valid():
        return _import_page(request, commune, form)
    upload = form.cleaned_data["file"]
    try:
        rows = read_accounts_xlsx(upload.read())
    except ValidationError as error:
        return _refused(request, commune, form, error.messages)
    _accounts, problems = judge_rows(rows, commune)
    if problems:
        return _refused(request, commune, form, problems)
    request.session[PREVIEW_KEY] = {
        "commune": commune.pk,
        "token": secrets.token_hex(16),
        "file": nfc(upload.name)[:200],
        "rows": [[row.row, row.values] for row in rows],
    }
    return redirect("system_admin:accounts_import", commune_pk=commune.pk)


@rule("commune_admin")
@never_cache
def accounts_template(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    """The sheet to fill in, with the commune's units on a second sheet."""
    commune = get_commune_for_admin(request.user, commune_pk)
    response = HttpResponse(blank_template(commune), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach-tai-khoan.xlsx"'
    return response


@rule("commune_admin")
@require_POST
@never_cache
def accounts_import_confirm(request: AuthenticatedRequest, commune_pk: int) -> HttpResponse:
    """Create every account of the previewed sheet in one transaction, and show the
    temporary passwords this once (they are not kept anywhere)."""
    commune = get_commune_for_admin(request.user, commune_pk)
    form = ImportConfirmForm(request.POST)
    preview = request.session.get(PREVIEW_KEY) or {}
    again = reverse("system_admin:accounts_import", args=[commune.pk])
    if (
        not form.is_valid()
        or preview.get("commune") != commune.pk
        or not secrets.compare_digest(
            str(preview.get("token", "")).encode(), form.cleaned_data["token"].encode()
        )
    ):
        messages.error(
            request, "Bản xem trước đã hết hạn hoặc không còn đúng; hãy tải tệp lên lại."
        )
        return redirect(again)
    rows = _preview_rows(request, commune) or []
    try:
        created = accounts_import(commune=commune, rows=rows, by=request.user)
    except ValidationError as error:
        del request.session[PREVIEW_KEY]
        return _refused(request, commune, AccountsImportForm(), error.messages)
    del request.session[PREVIEW_KEY]
    return render(
        request,
        "administration/system/accounts_created.html",
        {"commune": commune, "created": created, "file_name": preview.get("file", "")},
    )
