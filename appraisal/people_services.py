"""What the city's administrator changes about the city's people (appraisers, the council and
the city's administrators): adding a person with a temporary password, their role and title,
locking and reopening their account, a new temporary password.

The commune's counterpart is administration/commune_services.py; the pieces both need live
below both (assessments.services.city_user_create and split_full_name,
accounts.passwords.temporary_password, accounts.services.sessions_end). Every function checks
the actor's right itself (`require_city_admin`: another city's person is 404), writes in one
transaction and leaves an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.passwords import temporary_password
from accounts.services import sessions_end
from assessments.access import require_city_admin, require_manage_account
from assessments.models import City, CityMembership
from assessments.services import city_user_create, split_full_name
from audit.services import Action, audit_record

CityRole = CityMembership.Role
NAME_PART_MAX = 150
LAST_ADMIN = "Thành phố cần ít nhất một quản trị đang hoạt động: không {what} được người này."


@dataclass(frozen=True)
class Created:
    """A person just added, with their temporary password (shown once, never stored)."""

    user: User
    password: str


def _person(account: User) -> str:
    name = account.get_full_name()
    return f"{name} ({account.get_username()})" if name else account.get_username()


def _role_text(membership: CityMembership) -> str:
    parts = [membership.get_role_display(), membership.title]
    return ", ".join(part for part in parts if part)


def active_city_admins(city: City) -> list[int]:
    """Ids of the city's active accounts that administer it."""
    return list(
        CityMembership.objects.filter(
            city=city, role=CityRole.CITY_ADMIN, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _is_last_admin(membership: CityMembership) -> bool:
    return membership.role == CityRole.CITY_ADMIN and active_city_admins(membership.city) == [
        membership.user_id
    ]


def _check_role(role: str) -> None:
    if role not in CityRole.values:
        raise ValidationError({"role": "Vai trò không hợp lệ."})


def _name_problem(full_name: str) -> str:
    """Why the account cannot hold this name ("" when it can): it is stored split at its last
    space, each part at most 150 characters (auth.User)."""
    if not full_name:
        return "Hãy nhập họ và tên."
    if any(len(part) > NAME_PART_MAX for part in split_full_name(full_name)):
        return f"Họ và tên quá dài: mỗi phần (họ đệm, tên) tối đa {NAME_PART_MAX} ký tự."
    return ""


@transaction.atomic
def city_person_create(
    *,
    city: City,
    by: User,
    username: str,
    full_name: str,
    role: str,
    title: str = "",
    email: str = "",
) -> Created:
    """A new account of the city, with a temporary password the portal makes (returned once,
    to be handed over; the person changes it after logging in)."""
    require_city_admin(by, city)
    username = username.strip()
    full_name = " ".join(full_name.split())
    problems: dict[str, str] = {}
    if not username:
        problems["username"] = "Hãy nhập tên đăng nhập."
    elif get_user_model().objects.filter(username__iexact=username).exists():
        problems["username"] = f"Tên đăng nhập “{username}” đã có người dùng."
    if name_problem := _name_problem(full_name):
        problems["full_name"] = name_problem
    if role not in CityRole.values:
        problems["role"] = "Vai trò không hợp lệ."
    if problems:
        raise ValidationError(problems)
    password = temporary_password()
    user = city_user_create(
        username=username,
        password=password,
        full_name=full_name,
        city=city,
        role=role,
        title=title.strip(),
        email=email.strip(),
    )
    membership = user.city_membership
    audit_record(
        action=Action.ACCOUNT_CREATE,
        user=by,
        target=user,
        target_label=f"Tài khoản {username}",
        summary=f"Tạo tài khoản {username} ({full_name}) của {city}: {_role_text(membership)}",
        details={"city": city.pk, "role": role},
    )
    return Created(user=user, password=password)


@transaction.atomic
def city_person_update(
    *,
    membership: CityMembership,
    by: User,
    full_name: str,
    email: str,
    role: str,
    title: str,
) -> CityMembership:
    """Change a person's name, email, role and title. Nobody gives up their own
    administration, and the city keeps at least one active administrator."""
    city = membership.city
    require_city_admin(by, city)
    account = membership.user
    require_manage_account(by, account)
    _check_role(role)
    full_name = " ".join(full_name.split())
    if name_problem := _name_problem(full_name):
        raise ValidationError({"full_name": name_problem})
    if membership.role == CityRole.CITY_ADMIN and role != CityRole.CITY_ADMIN:
        if account.pk == by.pk:
            raise ValidationError(
                {"role": "Không tự bỏ quyền quản trị của mình: nhờ quản trị khác."}
            )
        if _is_last_admin(membership):
            raise ValidationError({"role": LAST_ADMIN.format(what="đổi vai trò")})
    before = _role_text(membership)
    first, last = split_full_name(full_name)
    account.first_name, account.last_name, account.email = first, last, email.strip()
    account.save(update_fields=["first_name", "last_name", "email"])
    membership.role, membership.title = role, title.strip()
    membership.save(update_fields=["role", "title"])
    audit_record(
        action=Action.MEMBERSHIP_CHANGE,
        user=by,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=f"Sửa {_person(account)} của {city}: {before} → {_role_text(membership)}",
        details={"city": city.pk, "role": role},
    )
    return membership


@transaction.atomic
def city_person_set_active(*, membership: CityMembership, active: bool, by: User) -> None:
    """Lock an account (it can no longer log in; its sessions end) or open it again. Nobody
    locks their own account, nor the city's last active administrator."""
    city = membership.city
    require_city_admin(by, city)
    account = membership.user
    require_manage_account(by, account)
    if account.is_active == active:
        return
    if not active:
        if account.pk == by.pk:
            raise ValidationError("Không tự khóa tài khoản của mình.")
        if _is_last_admin(membership):
            raise ValidationError(LAST_ADMIN.format(what="khóa"))
    account.is_active = active
    account.save(update_fields=["is_active"])
    ended = 0 if active else sessions_end(user=account)
    audit_record(
        action=Action.ACCOUNT_REACTIVATE if active else Action.ACCOUNT_DEACTIVATE,
        user=by,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=f"{'Mở lại' if active else 'Khóa'} tài khoản {_person(account)} của {city}",
        details={"city": city.pk, "sessions_ended": ended},
    )


@transaction.atomic
def city_person_password_reset(*, membership: CityMembership, by: User) -> str:
    """A new temporary password the portal makes (returned once, never stored); the person's
    sessions end."""
    city = membership.city
    require_city_admin(by, city)
    account = membership.user
    require_manage_account(by, account)
    password = temporary_password()
    account.set_password(password)
    account.save(update_fields=["password"])
    ended = sessions_end(user=account)
    audit_record(
        action=Action.PASSWORD_RESET,
        user=by,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=f"Đặt lại mật khẩu của {_person(account)} ({city})",
        details={"city": city.pk, "sessions_ended": ended},
    )
    return password
