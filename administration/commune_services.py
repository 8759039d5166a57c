"""What a commune's administrator changes in the portal: its units, its people and their
roles, the report's defaults, and its first assessment.

Every function checks the actor's right itself (`require_commune_admin`), refuses anything of
another commune, writes in one transaction and leaves an audit entry. The pages in
administration/views/commune.py only call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.services import sessions_end
from assessments.access import require_commune_admin, require_manage_account
from assessments.models import Assessment, Commune, Membership, Unit
from assessments.services import (
    assessment_create,
    membership_text,
    split_full_name,
    unit_key,
    user_create,
)
from audit.services import Action, audit_record
from criteria.models import CriteriaSet, Level

STAFF_NEEDS_UNIT = "Cán bộ, công chức phải thuộc một đơn vị của xã: hãy chọn đơn vị."
OTHER_COMMUNE_UNIT = "Đơn vị này không thuộc xã."


def _person(account: User) -> str:
    name = account.get_full_name()
    return f"{name} ({account.get_username()})" if name else account.get_username()


def _check_unit(commune: Commune, role: str, unit: Unit | None) -> None:
    if unit is not None and unit.commune_id != commune.pk:
        raise ValidationError({"unit": OTHER_COMMUNE_UNIT})
    if role == Membership.Role.STAFF and unit is None:
        raise ValidationError({"unit": STAFF_NEEDS_UNIT})


def active_admins(commune: Commune) -> list[int]:
    """Ids of the commune's active accounts that administer it."""
    return list(
        Membership.objects.filter(
            commune=commune, is_commune_admin=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )


# -- Units ------------------------------------------------------------------------------------


@transaction.atomic
def unit_save(
    *,
    commune: Commune,
    by: User,
    name: str,
    short_name: str = "",
    is_collective: bool = False,
    order: int = 0,
    unit: Unit | None = None,
) -> Unit:
    """Add a unit to the commune, or change one of its units (`unit`)."""
    require_commune_admin(by, commune)
    if unit is not None and unit.commune_id != commune.pk:
        raise ValidationError(OTHER_COMMUNE_UNIT)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Hãy nhập tên đơn vị."})
    others = commune.units.exclude(pk=unit.pk) if unit is not None else commune.units.all()
    if any(unit_key(other.name) == unit_key(name) for other in others):
        raise ValidationError({"name": f"Xã đã có đơn vị “{name}”."})
    before = (
        {"name": unit.name, "short_name": unit.short_name, "order": unit.order}
        if unit is not None
        else None
    )
    if unit is None:
        unit = Unit(commune=commune)
    unit.name, unit.short_name = name, short_name.strip()
    unit.is_collective, unit.order = is_collective, order
    unit.save()
    audit_record(
        action=Action.UNIT_CHANGE,
        user=by,
        commune=commune,
        target=unit,
        target_label=f"Đơn vị {unit.name}",
        summary=(f"Thêm đơn vị {unit.name}" if before is None else f"Sửa đơn vị {unit.name}"),
        details={"before": before} if before else None,
    )
    return unit


def unit_uses(unit: Unit) -> list[str]:
    """What still refers to the unit (empty when it may be deleted)."""
    uses = []
    people = unit.memberships.count()
    if people:
        uses.append(f"{people} người thuộc đơn vị")
    led = unit.led_assignments.count()
    if led:
        uses.append(f"chủ trì {led} tiêu chí thành phần")
    supported = unit.supported_assignments.count()
    if supported:
        uses.append(f"phối hợp {supported} tiêu chí thành phần")
    if unit.deadlines.exists():
        uses.append("có hạn tự chấm riêng")
    return uses


@transaction.atomic
def unit_delete(*, unit: Unit, by: User) -> None:
    """Delete a unit nothing refers to; otherwise say what still does."""
    commune = unit.commune
    require_commune_admin(by, commune)
    uses = unit_uses(unit)
    if uses:
        raise ValidationError(
            f"Không xóa được đơn vị “{unit.name}”: {'; '.join(uses)}. Hãy chuyển người và "
            "phân công sang đơn vị khác trước."
        )
    audit_record(
        action=Action.UNIT_DELETE,
        user=by,
        commune=commune,
        target=unit,
        target_label=f"Đơn vị {unit.name}",
        summary=f"Xóa đơn vị {unit.name}",
    )
    unit.delete()


# -- People -----------------------------------------------------------------------------------


def check_password(password: str, *, username: str, full_name: str, email: str = "") -> None:
    """The project's password rules (settings.AUTH_PASSWORD_VALIDATORS), for a person who
    may not exist yet."""
    first, last = split_full_name(full_name)
    probe = get_user_model()(username=username, first_name=first, last_name=last, email=email)
    validate_password(password, probe)


@transaction.atomic
def member_create(
    *,
    commune: Commune,
    by: User,
    username: str,
    full_name: str,
    password: str,
    role: str,
    unit: Unit | None = None,
    title: str = "",
    email: str = "",
    is_commune_admin: bool = False,
) -> User:
    """A new account of the commune, with its role (assessments.services.user_create)."""
    require_commune_admin(by, commune)
    username = username.strip()
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"Tên đăng nhập “{username}” đã có người dùng."})
    _check_unit(commune, role, unit)
    full_name = " ".join(full_name.split())
    check_password(password, username=username, full_name=full_name, email=email)
    return user_create(
        username=username,
        password=password,
        full_name=full_name,
        commune=commune,
        role=role,
        unit=unit,
        title=title,
        email=email,
        is_commune_admin=is_commune_admin,
        by=by,
    )


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    by: User,
    full_name: str,
    email: str,
    role: str,
    unit: Unit | None,
    title: str,
    is_commune_admin: bool,
) -> Membership:
    """Change a person's name, email, role, unit, title and administrator flag."""
    commune = membership.commune
    require_commune_admin(by, commune)
    account = membership.user
    require_manage_account(by, account)
    _check_unit(commune, role, unit)
    if membership.is_commune_admin and not is_commune_admin:
        if account.pk == by.pk:
            raise ValidationError(
                {"is_commune_admin": "Không tự bỏ quyền quản trị của mình: nhờ quản trị khác."}
            )
        if active_admins(commune) == [account.pk]:
            raise ValidationError(
                {"is_commune_admin": "Xã cần ít nhất một quản trị đang hoạt động."}
            )
    before = membership_text(membership)
    if membership.is_commune_admin != is_commune_admin:
        before += ", quản trị của xã" if membership.is_commune_admin else ""
    first, last = split_full_name(full_name)
    account.first_name, account.last_name, account.email = first, last, email.strip()
    account.save(update_fields=["first_name", "last_name", "email"])
    membership.role, membership.unit, membership.title = role, unit, title.strip()
    membership.is_commune_admin = is_commune_admin
    membership.save(update_fields=["role", "unit", "title", "is_commune_admin"])
    signer_dropped = commune.report_signer_id == account.pk and role != Membership.Role.LEADER
    if signer_dropped:
        # Only a leader signs; the commune's default signer is chosen again.
        commune.report_signer = None
        commune.save(update_fields=["report_signer"])
    summary = f"Sửa {_person(account)}: {before} → {membership_text(membership)}"
    audit_record(
        action=Action.MEMBERSHIP_CHANGE,
        user=by,
        commune=commune,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=summary + ("; bỏ người ký mặc định của xã" if signer_dropped else ""),
        details={
            "role": role,
            "unit": unit.pk if unit else None,
            "is_commune_admin": is_commune_admin,
        },
    )
    return membership


def _account_in(commune: Commune, account: User, by: User) -> Membership:
    membership = Membership.objects.filter(user=account, commune=commune).first()
    if membership is None:
        raise ValidationError("Tài khoản này không thuộc xã.")
    require_manage_account(by, account)
    return membership


@transaction.atomic
def password_reset(*, commune: Commune, account: User, password: str, by: User) -> int:
    """Give a person a new temporary password (the project's rules apply) and end their
    sessions. Returns how many sessions were ended."""
    require_commune_admin(by, commune)
    _account_in(commune, account, by)
    validate_password(password, account)
    account.set_password(password)
    account.save(update_fields=["password"])
    ended = sessions_end(user=account)
    audit_record(
        action=Action.PASSWORD_RESET,
        user=by,
        commune=commune,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=f"Đặt lại mật khẩu của {_person(account)}",
        details={"sessions_ended": ended},
    )
    return ended


@transaction.atomic
def account_set_active(*, commune: Commune, account: User, active: bool, by: User) -> None:
    """Lock an account (it can no longer log in; its sessions end) or open it again. Nobody
    locks their own account, nor the commune's last active administrator."""
    require_commune_admin(by, commune)
    membership = _account_in(commune, account, by)
    if account.is_active == active:
        return
    if not active:
        if account.pk == by.pk:
            raise ValidationError("Không tự khóa tài khoản của mình.")
        if membership.is_commune_admin and active_admins(commune) == [account.pk]:
            raise ValidationError(
                "Không khóa được: đây là quản trị đang hoạt động cuối cùng của xã."
            )
    account.is_active = active
    account.save(update_fields=["is_active"])
    if not active:
        sessions_end(user=account)
    audit_record(
        action=Action.ACCOUNT_REACTIVATE if active else Action.ACCOUNT_DEACTIVATE,
        user=by,
        commune=commune,
        target=account,
        target_label=f"Tài khoản {account.get_username()}",
        summary=f"{'Mở lại' if active else 'Khóa'} tài khoản {_person(account)}",
    )


# -- The report's defaults ----------------------------------------------------------------------


def _commune_field(name: str) -> models.Field[Any, Any]:
    """A concrete field of Commune (get_field is typed to return relations too)."""
    return cast("models.Field[Any, Any]", Commune._meta.get_field(name))


def report_authority_choices() -> Sequence[tuple[str, Any]]:
    """The signing authorities a commune may choose from, as (value, label)."""
    return cast("Sequence[tuple[str, Any]]", _commune_field("report_authority").choices or ())


def signer_choices(commune: Commune) -> models.QuerySet[User]:
    """Who may be the commune's default signer: its active leaders."""
    return (
        get_user_model()
        .objects.filter(
            membership__commune=commune,
            membership__role=Membership.Role.LEADER,
            is_active=True,
        )
        .order_by("last_name", "first_name")
    )


@transaction.atomic
def report_settings_save(
    *,
    commune: Commune,
    by: User,
    report_recipients: str,
    address: str,
    place_name: str,
    report_signer: User | None,
    report_authority: str,
) -> Commune:
    require_commune_admin(by, commune)
    if report_signer is not None and not signer_choices(commune).filter(pk=report_signer.pk):
        raise ValidationError(
            {"report_signer": "Người ký phải là lãnh đạo UBND đang hoạt động của xã."}
        )
    valid_authorities = {value for value, _ in report_authority_choices()}
    if report_authority and report_authority not in valid_authorities:
        raise ValidationError({"report_authority": "Thẩm quyền ký không hợp lệ."})
    lines = [line.strip() for line in report_recipients.splitlines()]
    fields = {
        "report_recipients": "\n".join(line for line in lines if line),
        "address": address.strip(),
        "place_name": place_name.strip(),
        "report_signer": report_signer,
        "report_authority": report_authority,
    }
    changed = [name for name, value in fields.items() if getattr(commune, name) != value]
    for name, value in fields.items():
        setattr(commune, name, value)
    commune.save(update_fields=list(fields))
    labels = ", ".join(str(_commune_field(name).verbose_name) for name in changed)
    audit_record(
        action=Action.COMMUNE_CHANGE,
        user=by,
        commune=commune,
        target=commune,
        target_label=str(commune),
        summary=f"Thiết lập báo cáo của {commune}: {labels or 'không thay đổi'}",
        details={"fields": changed},
    )
    return commune


# -- The first assessment -----------------------------------------------------------------------


def offered_criteria_sets() -> models.QuerySet[CriteriaSet]:
    """Criteria sets a commune may open an assessment with: those in use (published)."""
    return CriteriaSet.objects.filter(status=CriteriaSet.Status.IN_USE)


@transaction.atomic
def first_assessment_create(
    *,
    commune: Commune,
    by: User,
    criteria_set: CriteriaSet,
    year: int,
    period: str,
    target_level: Level | None,
    registration_number: str = "",
    registration_date: dt.date | None = None,
) -> Assessment:
    """Open the commune's first assessment (later ones follow from it: "Tạo kỳ tiếp theo",
    assessments.services.assessment_create_next, which carries the assignments over)."""
    require_commune_admin(by, commune)
    if commune.assessments.exists():
        raise ValidationError(
            "Xã đã có kỳ đánh giá: kỳ mới được tạo tiếp theo kỳ hiện tại (“Tạo kỳ tiếp theo” "
            "trong danh sách các kỳ đánh giá)."
        )
    if not offered_criteria_sets().filter(pk=criteria_set.pk).exists():
        raise ValidationError({"criteria_set": "Bộ tiêu chí này chưa được ban hành để áp dụng."})
    if target_level is not None and target_level.criteria_set_id != criteria_set.pk:
        raise ValidationError(
            {"target_level": f"Mức “{target_level.name}” không thuộc bộ tiêu chí đã chọn."}
        )
    if period not in Assessment.Period.values:
        raise ValidationError({"period": "Kỳ đánh giá không hợp lệ."})
    assessment = assessment_create(
        commune=commune,
        criteria_set=criteria_set,
        year=year,
        period=period,
        target_level=target_level,
        registration_number=registration_number,
        registration_date=registration_date,
    )
    unassigned = assessment.assignments.filter(lead_unit__isnull=True).count()
    audit_record(
        action=Action.ASSESSMENT_CREATE,
        user=by,
        commune=commune,
        target=assessment,
        target_label=str(assessment),
        summary=(
            f"Tạo kỳ đánh giá {assessment.get_period_display()} {year} theo {criteria_set}"
            + (f", mức đăng ký {target_level.name}" if target_level else "")
        ),
        details={"unassigned": unassigned},
    )
    return assessment
