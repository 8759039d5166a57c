"""What a system administrator does: create a commune with its first administrator, and
import a commune's accounts from a sheet (also the commune's own administrator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.passwords import temporary_password
from administration.system_import import AccountRow, SheetRow, judge_rows
from assessments.access import require_commune_admin, require_system_admin
from assessments.models import Commune, Membership
from assessments.services import commune_create, user_create
from audit.services import Action, audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def duplicate_commune_message(*, city: str, kind: str, name: str) -> str:
    """ "" when no commune has this city, kind and name (case ignored), else why not."""
    match = Commune.objects.filter(
        city__name__iexact=" ".join(city.split()), kind=kind, name__iexact=name
    ).first()
    if match is None:
        return ""
    return f"Đã có {match} thuộc {match.city}: không tạo trùng."


def username_taken(username: str) -> bool:
    return get_user_model().objects.filter(username__iexact=username).exists()


@transaction.atomic
def commune_create_with_admin(
    *,
    kind: str,
    name: str,
    city: str,
    address: str = "",
    username: str,
    full_name: str,
    title: str = "",
    email: str = "",
    password: str,
    by: User,
) -> Commune:
    """A new commune and its first administrator: a leader (Lãnh đạo UBND) who manages the
    commune in the portal (`is_commune_admin`). Nothing is created when anything is refused."""
    require_system_admin(by)
    problems = []
    if message := duplicate_commune_message(city=city, kind=kind, name=name):
        problems.append(message)
    if username_taken(username):
        problems.append(f"Tên đăng nhập “{username}” đã có người dùng.")
    if not full_name.strip():
        problems.append("Phải ghi họ và tên của quản trị xã.")
    first, _, last = full_name.rpartition(" ")
    probe = get_user_model()(username=username, first_name=first, last_name=last, email=email)
    try:
        password_validation.validate_password(password, user=probe)
    except ValidationError as error:
        problems += error.messages
    if problems:
        raise ValidationError(problems)
    commune = commune_create(name=name, kind=kind, city=city, address=address)
    audit_record(
        action=Action.COMMUNE_CREATE,
        user=by,
        commune=commune,
        target=commune,
        summary=f"Tạo {commune} ({city}), quản trị của xã: {username} ({full_name})",
    )
    user_create(
        username=username,
        password=password,
        full_name=full_name,
        commune=commune,
        role=Membership.Role.LEADER,
        title=title,
        email=email,
        is_commune_admin=True,
        by=by,
    )
    return commune


@dataclass(frozen=True)
class Created:
    """An account the import made, with its temporary password (shown once, never stored)."""

    account: AccountRow
    user: User
    password: str


@transaction.atomic
def accounts_import(*, commune: Commune, rows: list[SheetRow], by: User) -> list[Created]:
    """Every row's account, or none: the rows are judged again here (the database may have
    changed since the preview) and one problem refuses the whole sheet."""
    require_commune_admin(by, commune)
    accounts, problems = judge_rows(rows, commune)
    if problems:
        raise ValidationError(problems)
    if not accounts:
        raise ValidationError("Tệp không có tài khoản nào.")
    created = []
    for account in accounts:
        password = temporary_password()
        user = user_create(
            username=account.username,
            password=password,
            full_name=account.full_name,
            commune=commune,
            role=account.role,
            unit=account.unit,
            title=account.title,
            email=account.email,
            is_commune_admin=account.is_commune_admin,
            by=by,
        )
        created.append(Created(account=account, user=user, password=password))
    audit_record(
        action=Action.ACCOUNTS_IMPORT,
        user=by,
        commune=commune,
        target=commune,
        summary=f"Nhập {len(created)} tài khoản của {commune} từ tệp Excel",
        details={"usernames": [item.account.username for item in created]},
    )
    return created
