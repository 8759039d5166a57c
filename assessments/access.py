"""The rule book: the one place that answers who may see and do what.

Views, services, context processors and templates ask here; nothing else looks at a
membership's role, a user's superuser flag or an assignment's units to decide access.

- Roles: `role_in(user, commune)` is the person's role in that commune (`ADMIN` for
  administrators, who act in every commune) or None; `is_leader`, `is_secretary`,
  `is_reviewer`, `is_member` and `is_admin` are thin wrappers over it.
- Units: `Assignment.is_led_by` / `is_supported_by` / `concerns` (and the queryset filters
  `led_by` / `supported_by` / `concerning`) say which units a sub-criterion belongs to.
- Time: `staff_window_open` decides whether staff may still change an assessment (a unit's
  own deadline, `UnitDeadline`, holds for that unit's staff: `effective_deadline`), and
  `WINDOW_CLOSED` is what they are told when they may not.
- Freezing: an issued report freezes its assessment (`Assessment.Status.FROZEN`): scores,
  evidence, assignments and adjustments are read-only for everyone until a leader reopens it
  with a reason (`may_unfreeze`); `frozen_by` is the report that froze it and
  `frozen_message` what a refused change is told. Comments stay open (`may_comment`).
- Objects: `get_assessment_for_user` is the assessment or 404 (a commune's data is 404 to
  outsiders); the `require_*` helpers raise PermissionDenied with a Vietnamese reason.
- Views: every view declares its rule with `@rule(...)`; the URL × persona test checks it.

Evidence and the audit trail are decided here too, without importing their apps: the rules
take the objects they are given (an evidence's `assessment`, `created_by` and `links`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import (
    Assessment,
    Assignment,
    City,
    CityMembership,
    Commune,
    Membership,
    Score,
    Unit,
    UnitDeadline,
)
from guards.rules import RULES, rule  # noqa: F401 (re-exported: views import them from here)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as Person

    User = Person | AnonymousUser

ADMIN = "admin"
"""The role `role_in` gives administrators (superusers) in every commune."""

WINDOW_CLOSED = "Đã quá hạn tự chấm điểm; chỉ lãnh đạo mới thay đổi được."
"""The message for a change refused because the staff's window has closed."""
WINDOW_CLOSED_FOR_UPLOADS = (
    "Đã quá hạn tự chấm điểm; chỉ lãnh đạo và văn thư mới tải thêm được minh chứng."
)
"""The same, for adding evidence, which the secretary may still do (`upload_refusal`)."""

ASSESSMENT_LOCKED = "Kỳ đánh giá đã khóa: không thể thay đổi minh chứng."

ISSUED = "issued"
"""`Report.Status.ISSUED`, named here because the rule book does not import the reports app."""


# -- Views declare their rule ----------------------------------------------------------------
# The vocabulary and the decorator live in guards.rules, below every app, so that an app this
# rule book may not be imported by (notifications) declares its views the same way; what each
# rule means for an object is decided here.


# -- Roles -----------------------------------------------------------------------------------


def membership_of(user: User) -> Membership | None:
    """The person's membership, read once per request with its commune and unit (every page
    names both in its header, the audit entry of every action too): one query, not three."""
    if not user.is_authenticated:
        return None
    related = Membership.user.field.remote_field  # the reverse side: user.membership
    if not related.is_cached(user):
        found = Membership.objects.select_related("commune", "unit").filter(user=user).first()
        related.set_cached_value(user, found)
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def _commune_id(commune: Commune | Assessment | int) -> int:
    if isinstance(commune, int):
        return commune
    if isinstance(commune, Commune):
        return commune.pk
    return commune.commune_id


def role_in(user: User, commune: Commune | Assessment | int) -> str | None:
    """The person's role in `commune` (a commune, its id, or one of its assessments):
    a `Membership.Role`, `ADMIN` for administrators, or None for anyone else."""
    if is_admin(user):
        return ADMIN
    membership = membership_of(user)
    if membership is None or membership.commune_id != _commune_id(commune):
        return None
    return membership.role


def is_member(user: User, commune: Commune | Assessment | int) -> bool:
    return role_in(user, commune) is not None


def is_leader(user: User, commune: Commune | Assessment | int) -> bool:
    return role_in(user, commune) in (Membership.Role.LEADER, ADMIN)


def is_secretary(user: User, commune: Commune | Assessment | int) -> bool:
    return role_in(user, commune) in (Membership.Role.SECRETARY, ADMIN)


def is_reviewer(user: User, commune: Commune | Assessment | int) -> bool:
    """Leaders, the secretary and administrators: they see the whole commune and are not
    bound by the staff's deadline for evidence."""
    return role_in(user, commune) in (Membership.Role.LEADER, Membership.Role.SECRETARY, ADMIN)


def is_staff(user: User, commune: Commune | Assessment | int) -> bool:
    """A unit's staff member (cán bộ, công chức) of the commune."""
    return role_in(user, commune) == Membership.Role.STAFF


def is_commune_admin(user: User, commune: Commune | Assessment | int) -> bool:
    """Manages the commune in the portal (units, people, roles, report settings): a member
    named its administrator, or a system administrator."""
    if is_admin(user):
        return True
    membership = membership_of(user)
    return bool(
        membership is not None
        and membership.is_commune_admin
        and membership.commune_id == _commune_id(commune)
    )


def administered_commune_id(user: User) -> int | None:
    """The commune a member administers (None for everyone else, system administrators too:
    they choose a commune)."""
    membership = membership_of(user)
    if membership is None or not membership.is_commune_admin:
        return None
    return membership.commune_id


def require_commune_admin(user: User, commune: Commune | Assessment | int) -> None:
    if not is_commune_admin(user, commune):
        raise PermissionDenied("Chỉ quản trị của xã mới làm được việc này.")


def get_commune_for_admin(user: User, pk: int) -> Commune:
    """The commune, for a system administrator or the commune's own administrator. Its other
    members are refused (403, with the reason); anyone else, another commune's administrator
    included, finds no such commune (404)."""
    commune = Commune.objects.filter(pk=pk).first()
    if commune is None or not is_member(user, commune):
        raise Http404("Không tìm thấy xã, phường.")
    require_commune_admin(user, commune)
    return commune


def may_manage_account(user: User, account: User) -> bool:
    """A commune's administrator manages its people, not the accounts that run the whole
    portal (superusers, staff of the Django admin): only a system administrator does."""
    return is_admin(user) or not (account.is_superuser or account.is_staff)


def require_manage_account(user: User, account: User) -> None:
    if not may_manage_account(user, account):
        raise PermissionDenied(
            "Tài khoản này có quyền quản trị hệ thống: chỉ quản trị hệ thống mới sửa được."
        )


def require_system_admin(user: User) -> None:
    if not is_admin(user):
        raise PermissionDenied("Chỉ quản trị hệ thống mới làm được việc này.")


def unit_id_of(user: User) -> int | None:
    """The person's unit, whatever their role (leaders may belong to one too)."""
    membership = membership_of(user)
    return membership.unit_id if membership is not None else None


def home_role(user: User) -> str | None:
    """What the home page shows: ADMIN, the role in the person's own commune, CITY for the
    city's people, or None."""
    if is_admin(user):
        return ADMIN
    membership = membership_of(user)
    if membership is None:
        return CITY if city_membership_of(user) is not None else None
    return role_in(user, membership.commune_id)


# -- The city --------------------------------------------------------------------------------
# The city's people (CityMembership) see every commune of their city on the city's pages and
# nothing of another city; they see a commune's data only as it was sent (a submission), never
# the commune's working pages. A person belongs to a commune or to a city, never both.

CITY = "city"
"""What `home_role` gives the city's people."""

CityRole = CityMembership.Role


def city_membership_of(user: User) -> CityMembership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.city_membership
    except CityMembership.DoesNotExist:
        return None


def _city_id(city: City | Commune | int) -> int:
    if isinstance(city, int):
        return city
    if isinstance(city, Commune):
        return city.city_id
    return city.pk


def city_role(user: User, city: City | Commune | int) -> str | None:
    """The person's role in `city` (or the city of a commune): a `CityMembership.Role`, ADMIN
    for system administrators, or None (commune people and another city's people)."""
    if is_admin(user):
        return ADMIN
    membership = city_membership_of(user)
    if membership is None or membership.city_id != _city_id(city):
        return None
    return membership.role


def is_city_member(user: User, city: City | Commune | int) -> bool:
    return city_role(user, city) is not None


def city_id_of(user: User) -> int | None:
    """The city a city person belongs to (None for everyone else, administrators included:
    they choose a city)."""
    membership = city_membership_of(user)
    return membership.city_id if membership is not None else None


def visible_cities(user: User) -> QuerySet[City]:
    if is_admin(user):
        return City.objects.all()
    return City.objects.filter(pk=city_id_of(user) or 0)


def require_city_person(user: User) -> None:
    """The city's pages are for the city's people (and system administrators); a commune's
    people are refused with the reason."""
    if not is_admin(user) and city_membership_of(user) is None:
        raise PermissionDenied("Trang này dành cho cán bộ thẩm định của tỉnh, thành phố.")


def get_city_for_user(user: User, pk: int) -> City:
    """The city, for its people; 404 for another city's people, 403 for a commune's."""
    require_city_person(user)
    city = visible_cities(user).filter(pk=pk).first()
    if city is None:
        raise Http404("Không tìm thấy tỉnh, thành phố.")
    return city


def require_city_member(user: User, city: City | Commune | int) -> None:
    """404, not 403: another city's data does not exist for this person."""
    if not is_city_member(user, city):
        raise Http404("Không tìm thấy tỉnh, thành phố.")


def may_appraise(user: User, city: City | Commune | int) -> bool:
    """Appraisers (chuyên viên Sở Nội vụ) and the city's administrators appraise."""
    return city_role(user, city) in (CityRole.APPRAISER, CityRole.CITY_ADMIN, ADMIN)


def require_appraise(user: User, city: City | Commune | int) -> None:
    require_city_member(user, city)
    if not may_appraise(user, city):
        raise PermissionDenied("Chỉ chuyên viên thẩm định của thành phố mới làm được việc này.")


def appraisal_refusal(
    user: User, city: City | Commune | int, assigned_appraiser_id: int | None
) -> str:
    """Why `user` may not enter the city's score of a criterion whose appraiser is
    `assigned_appraiser_id` (None: nobody assigned), or "" when they may. An appraiser works
    on their own criteria and on criteria nobody took; the city's administrators on any."""
    if not may_appraise(user, city):
        return "Chỉ chuyên viên thẩm định của thành phố mới chấm điểm thẩm định."
    if city_role(user, city) in (CityRole.CITY_ADMIN, ADMIN):
        return ""
    if assigned_appraiser_id is not None and assigned_appraiser_id != user.pk:
        return "Tiêu chí này đã phân công cho chuyên viên khác thẩm định."
    return ""


def is_city_admin(user: User, city: City | Commune | int) -> bool:
    return city_role(user, city) in (CityRole.CITY_ADMIN, ADMIN)


def require_city_admin(user: User, city: City | Commune | int) -> None:
    require_city_member(user, city)
    if not is_city_admin(user, city):
        raise PermissionDenied("Chỉ quản trị của thành phố mới làm được việc này.")


def is_city_leader(user: User, city: City | Commune | int) -> bool:
    """The city's leaders (Giám đốc Sở Nội vụ, Chủ tịch and Phó Chủ tịch of the city) sign
    the city's documents; nobody else is offered as a signer."""
    return city_role(user, city) == CityRole.LEADER


def city_document_sign_refusal(user: User, document: Any) -> str:
    """Why `user` may not sign the city's issued `document` as the person named to sign it,
    or "" when they may: only that person, from their own account, once."""
    if document.status != "issued":
        return "Văn bản này đã được ký."
    if document.signer_id != user.pk or not is_city_leader(user, document.round.city_id):
        return "Chỉ người có thẩm quyền được ghi tên ký văn bản này mới ký được."
    return ""


def city_document_seal_refusal(user: User, document: Any) -> str:
    """Why `user` may not apply the issuing body's signature (its seal) to `document`, or ""
    when they may: the city's administrators (its office) once the signer has signed."""
    if not is_city_admin(user, document.round.city_id):
        return "Chỉ quản trị (văn thư) của thành phố mới ký số của cơ quan."
    if document.status == "issued":
        return "Người có thẩm quyền chưa ký văn bản này."
    if document.status != "signed":
        return "Văn bản này đã được ký số đủ."
    return ""


def may_prepare_council(user: User, city: City | Commune | int) -> bool:
    """Opens a council session, lists its communes and closes it: the council's chair and
    the city's administrators."""
    return city_role(user, city) in (CityRole.COUNCIL_CHAIR, CityRole.CITY_ADMIN, ADMIN)


def require_prepare_council(user: User, city: City | Commune | int) -> None:
    require_city_member(user, city)
    if not may_prepare_council(user, city):
        raise PermissionDenied("Chỉ Chủ tịch Hội đồng và quản trị của thành phố mới làm được.")


def is_council_member(user: User, city: City | Commune | int) -> bool:
    return city_role(user, city) in (CityRole.COUNCIL_MEMBER, CityRole.COUNCIL_CHAIR)


def vote_refusal(user: User, city: City | Commune | int, member_ids: set[int]) -> str:
    """Why `user` may not vote in a session of `member_ids` (a vote is personal: only the
    members named for the session vote, each for themselves; administrators do not)."""
    if not is_council_member(user, city):
        return "Chỉ thành viên Hội đồng thẩm định mới biểu quyết."
    if user.pk not in member_ids:
        return "Anh/chị không có tên trong danh sách thành viên dự phiên họp này."
    return ""


def require_vote(user: User, city: City | Commune | int, member_ids: set[int]) -> None:
    require_city_member(user, city)
    if message := vote_refusal(user, city, member_ids):
        raise PermissionDenied(message)


def may_see_council(user: User, city: City | Commune | int) -> bool:
    """The council's pages (its sessions, their lists and votes): the council's members and
    chair, and the city's administrators who prepare them. Appraisers are not the council."""
    return is_council_member(user, city) or is_city_admin(user, city)


def require_see_council(user: User, city: City | Commune | int) -> None:
    require_city_member(user, city)
    if not may_see_council(user, city):
        raise PermissionDenied("Trang này dành cho Hội đồng thẩm định và quản trị của thành phố.")


def may_see_votes_by_name(user: User, city: City | Commune | int, decided: bool) -> bool:
    """Who voted how is shown once the item is decided (before that, each member sees only
    their own vote and the counts), to the council and the city's administrators."""
    return decided and may_see_council(user, city)


def may_submit_to_city(user: User, assessment: Assessment) -> bool:
    """The secretary (văn thư) sends the dossier to the city; administrators may too."""
    return is_secretary(user, assessment)


def require_submit_to_city(user: User, assessment: Assessment) -> None:
    if not may_submit_to_city(user, assessment):
        raise PermissionDenied("Chỉ văn thư của xã mới gửi hồ sơ lên thành phố.")


def may_answer_explanation(user: User, assessment: Assessment) -> bool:
    """The commune's leaders answer the city's request to explain (with new evidence)."""
    return is_leader(user, assessment)


def require_answer_explanation(user: User, assessment: Assessment) -> None:
    if not may_answer_explanation(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã mới trả lời đề nghị giải trình.")


def at_city(assessment: Assessment) -> Any | None:
    """The assessment's submission to the city (appraisal.Submission), or None: read through
    the reverse relation, as the rule book does not import the appraisal app."""
    try:
        return assessment.submission
    except ObjectDoesNotExist:
        return None


def at_city_message(assessment: Assessment) -> str:
    """What a change to a dossier already sent to the city is told ("" when not sent)."""
    submission = at_city(assessment)
    if submission is None:
        return ""
    sent = timezone.localtime(submission.submitted_at)
    return (
        f"Hồ sơ đã gửi lên thành phố lúc {sent:%H:%M %d/%m/%Y} (đang ở giai đoạn "
        f"“{submission.get_stage_display()}”): không mở lại kỳ đánh giá được; muốn bổ sung, "
        "trả lời đề nghị giải trình của thành phố."
    )


def explanation_upload_refusal(
    user: User, assessment: Assessment, criterion_id: int, explaining_criterion_ids: set[int]
) -> str:
    """Why `user` may not add evidence to `criterion_id` as part of answering the city ("" if
    they may). The one exception to freezing: the commune's leaders, on a sub-criterion of a
    request to explain that is still open (`explaining_criterion_ids`, from the appraisal
    app); nobody else, and no other sub-criterion."""
    if not may_answer_explanation(user, assessment):
        return "Chỉ lãnh đạo UBND xã mới bổ sung minh chứng giải trình."
    if criterion_id not in explaining_criterion_ids:
        return (
            "Tiêu chí này không có trong đề nghị giải trình đang mở của thành phố: không bổ "
            "sung minh chứng được."
        )
    return ""


def evidence_change_refusal(
    assessment: Assessment,
    criterion_id: int | None = None,
    explaining_criterion_ids: set[int] | frozenset[int] = frozenset(),
) -> str:
    """Why the evidence of `assessment` cannot change now ("" if it can): a frozen or locked
    assessment refuses, except adding evidence to a sub-criterion the city asked to explain
    (`explaining_criterion_ids`, checked by the caller with `explanation_upload_refusal`)."""
    if is_frozen(assessment):
        if criterion_id is not None and criterion_id in explaining_criterion_ids:
            return ""
        return frozen_message(assessment)
    if assessment.status != Assessment.Status.OPEN:
        return ASSESSMENT_LOCKED
    return ""


def may_see_submission(user: User, assessment: Assessment) -> bool:
    """A sent dossier: the commune's leaders and secretary, and the people of its city (a
    commune's member is never the city's: no need to ask)."""
    if is_reviewer(user, assessment):
        return True
    return membership_of(user) is None and is_city_member(user, assessment.commune)


def may_see_city_scores(user: User, assessment: Assessment) -> bool:
    """The city's scores on the commune's pages (the city's column of a sub-criterion's
    ledger, the city's entries in its history): whoever may see the sent dossier
    (`may_see_submission`: the commune's leaders, secretary and administrators); not the
    commune's staff."""
    return may_see_submission(user, assessment)


def require_see_submission(user: User, assessment: Assessment) -> None:
    if not may_see_submission(user, assessment):
        raise Http404("Không tìm thấy hồ sơ.")


def require_appraiser_person(user: User) -> None:
    """The appraisers' list of their city's submissions: appraisers and the city's
    administrators (system administrators see every city's); 403 to everyone else."""
    require_city_person(user)
    membership = city_membership_of(user)
    if membership is not None and membership.role not in (CityRole.APPRAISER, CityRole.CITY_ADMIN):
        raise PermissionDenied("Danh sách hồ sơ cần thẩm định dành cho chuyên viên thẩm định.")


def require_see_appraisal(user: User, assessment: Assessment) -> None:
    """A submission on the city's appraisal pages: the people of the commune's city (and
    system administrators); a commune's people are refused (403, they have their own page),
    another city's people find nothing (404)."""
    require_city_person(user)
    require_city_member(user, assessment.commune)


def may_assign_appraisers(user: User, city: City | Commune | int) -> bool:
    """Splitting a submission's criteria between appraisers: any appraiser of the city (they
    share the work among themselves) and the city's administrators."""
    return may_appraise(user, city)


def require_assign_appraisers(user: User, city: City | Commune | int) -> None:
    require_city_member(user, city)
    if not may_assign_appraisers(user, city):
        raise PermissionDenied("Chỉ chuyên viên thẩm định và quản trị của thành phố phân công.")


def may_be_assigned_appraiser(user: User, city: City | Commune | int) -> bool:
    """Who may be given criteria to appraise: the city's appraisers and administrators."""
    membership = city_membership_of(user)
    return (
        membership is not None
        and membership.city_id == _city_id(city)
        and membership.role in (CityRole.APPRAISER, CityRole.CITY_ADMIN)
    )


def require_open_submitted_evidence(
    user: User, assessment: Assessment, evidence_assessment_id: int
) -> None:
    """An evidence file opened from a submission: the submission's readers on the city's
    side, and only files of that submission's assessment (404 otherwise: another commune's
    file does not exist for this page)."""
    require_see_appraisal(user, assessment)
    if evidence_assessment_id != assessment.pk:
        raise Http404("Không tìm thấy minh chứng trong hồ sơ này.")


# -- Assessments -----------------------------------------------------------------------------


def visible_assessments(user: User) -> QuerySet[Assessment]:
    queryset = Assessment.objects.select_related("commune", "criteria_set", "target_level")
    if is_admin(user):
        return queryset
    membership = membership_of(user)
    if membership is None:
        return queryset.none()
    return queryset.filter(commune_id=membership.commune_id)


def get_assessment_for_user(user: User, pk: int) -> Assessment:
    """The assessment, or 404 when it belongs to another commune (or does not exist)."""
    try:
        return visible_assessments(user).get(pk=pk)
    except Assessment.DoesNotExist:
        raise Http404("Không tìm thấy kỳ đánh giá.") from None


def unit_deadlines(assessment: Assessment) -> dict[int, dt.date]:
    """The units' own deadlines in `assessment` (unit id -> date), read once per instance:
    pages ask the window per row."""
    cached = getattr(assessment, "_unit_deadlines", None)
    if cached is None:
        cached = dict(
            UnitDeadline.objects.filter(assessment=assessment).values_list("unit_id", "deadline")
        )
        assessment._unit_deadlines = cached  # type: ignore[attr-defined]
    return cached


def effective_deadline(assessment: Assessment, unit: Unit | int | None = None) -> dt.date | None:
    """The deadline that holds for `unit`'s staff: the unit's own (`UnitDeadline`, set by a
    leader with a reason) when it has one, else the assessment's `scoring_deadline`."""
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    if unit_id is not None:
        own = unit_deadlines(assessment).get(unit_id)
        if own is not None:
            return own
    return assessment.scoring_deadline


def staff_window_open(
    assessment: Assessment, today: dt.date | None = None, *, unit: Unit | int | None = None
) -> bool:
    """Staff may change scores and evidence until the deadline, while not locked. With
    `unit`, the deadline is that unit's own when a leader set one (`effective_deadline`)."""
    if assessment.status != Assessment.Status.OPEN:
        return False
    today = today or timezone.localdate()
    deadline = effective_deadline(assessment, unit)
    return deadline is None or today <= deadline


def staff_window_open_for(user: User, assessment: Assessment) -> bool:
    """The window of `user`'s own unit (the assessment's when they have none)."""
    return staff_window_open(assessment, unit=unit_id_of(user))


# -- Frozen by an issued report ----------------------------------------------------------------


def is_frozen(assessment: Assessment) -> bool:
    return assessment.status == Assessment.Status.FROZEN


def frozen_by(assessment: Assessment) -> Any | None:
    """The issued report that froze the assessment (its latest issued report), or None when
    the assessment is not frozen. Read through the reverse relation: the rule book does not
    import the reports app, which depends on this one."""
    if not is_frozen(assessment):
        return None
    cached = getattr(assessment, "_frozen_by", None)
    if cached is None:
        cached = assessment.reports.filter(status=ISSUED).order_by("-issued_at", "-pk").first()
        assessment._frozen_by = cached  # type: ignore[attr-defined]  # once per request
    return cached


def report_reference(report: Any) -> str:
    """'Báo cáo số 01/BC-UBND ngày 10/07/2026'."""
    return f"Báo cáo số {report.number:02d}/{report.symbol} ngày {report.issue_date:%d/%m/%Y}"


def frozen_message(assessment: Assessment) -> str:
    """What a change to a frozen assessment is told, naming the report that froze it."""
    report = frozen_by(assessment)
    when = f" khi ban hành {report_reference(report)}" if report is not None else ""
    return f"Kỳ đánh giá đã đóng băng{when}; muốn sửa, lãnh đạo mở lại kỳ đánh giá (có lý do)."


def may_unfreeze(user: User, assessment: Assessment) -> bool:
    """Leaders reopen a frozen assessment (with a reason); no one else, secretary included;
    not once its dossier is at the city (`reopen_refusal`)."""
    return is_frozen(assessment) and is_leader(user, assessment) and not reopen_refusal(assessment)


def reopen_refusal(assessment: Assessment) -> str:
    """Why a frozen assessment cannot be reopened whoever asks ("" if it can): its dossier was
    sent to the city, which appraises what was sent; additions go through the city's
    request to explain."""
    return at_city_message(assessment)


def require_unfreeze(user: User, assessment: Assessment) -> None:
    if not is_leader(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã được mở lại kỳ đánh giá đã ban hành báo cáo.")


def may_comment(assessment: Assessment) -> bool:
    """Comments change no score or evidence: they stay open on a frozen assessment (to say
    what needs correcting), and close with the lock as before."""
    return assessment.status in (Assessment.Status.OPEN, Assessment.Status.FROZEN)


def may_change_after_deadline(user: User, assessment: Assessment) -> bool:
    """Whether `user` may still change scores now: staff until the deadline, leaders later."""
    return staff_window_open_for(user, assessment) or is_leader(user, assessment)


def require_member(user: User, assessment: Assessment) -> None:
    """Any member of the commune (outsiders already got 404 from get_assessment_for_user)."""
    if not is_member(user, assessment):
        raise PermissionDenied("Bạn không thuộc xã của kỳ đánh giá này.")


def require_leader(user: User, assessment: Assessment) -> None:
    if not is_leader(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã mới được thực hiện thao tác này.")


def require_review(user: User, assessment: Assessment) -> None:
    if not is_leader(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo UBND xã được duyệt, trả lại hoặc điều chỉnh điểm.")


def may_assign(user: User, assessment: Assessment) -> bool:
    """Leaders change who leads and supports a sub-criterion, while the assessment is open."""
    return is_leader(user, assessment) and assessment.status == Assessment.Status.OPEN


def require_overview(user: User, assessment: Assessment) -> None:
    """The commune's dashboards are for its reviewers."""
    if not is_reviewer(user, assessment):
        raise PermissionDenied("Trang tổng hợp dành cho lãnh đạo và văn thư.")


def require_report_work(user: User, assessment: Assessment) -> None:
    """Reports are drafted by the commune's reviewers."""
    if not is_reviewer(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo và văn thư được soạn báo cáo.")


def require_implementing_documents(user: User, assessment: Assessment) -> None:
    """The implementing documents of section I.2 are recorded by leaders and the secretary."""
    if not is_reviewer(user, assessment):
        raise PermissionDenied("Chỉ lãnh đạo và văn thư được ghi văn bản triển khai.")


def require_secretary(user: User, assessment: Assessment) -> None:
    if not is_secretary(user, assessment):
        raise PermissionDenied("Chỉ văn thư được ban hành và ký số văn bản.")


# -- Sub-criteria and units ------------------------------------------------------------------


def concerns_user(user: User, assignment: Assignment) -> bool:
    """The person's unit leads or supports this sub-criterion (a collective lead counts)."""
    unit_id = unit_id_of(user)
    return unit_id is not None and assignment.concerns(unit_id)


def can_propose(user: User, assessment: Assessment, assignment: Assignment) -> bool:
    """The lead unit's staff (any staff when "Các cơ quan, đơn vị" leads) and leaders."""
    if is_leader(user, assessment):
        return True
    return is_staff(user, assessment) and assignment.is_led_by(unit_id_of(user))


def require_propose(user: User, assessment: Assessment, assignment: Assignment) -> None:
    if not can_propose(user, assessment, assignment):
        raise PermissionDenied("Chỉ đơn vị chủ trì và lãnh đạo được chấm điểm tiêu chí này.")


def submittable_assignments(user: User, assessment: Assessment) -> QuerySet[Assignment]:
    """What "send all that is ready" sends: a staff member's unit's sub-criteria, or every
    sub-criterion for leaders; PermissionDenied for anyone else."""
    assignments = Assignment.objects.filter(assessment=assessment)
    unit_id = unit_id_of(user)
    if is_staff(user, assessment) and unit_id is not None:
        return assignments.led_by(unit_id)
    require_leader(user, assessment)
    return assignments


# -- Evidence --------------------------------------------------------------------------------


def approved_refusal(user: User, assessment: Assessment, codes: list[str]) -> str:
    """Why nobody changes the evidence of an approved sub-criterion ("" when `codes` is
    empty): the same answer for adding, describing, replacing and deleting it, for staff and
    leaders alike. The leaders' approval was given on that evidence; to change it, a leader
    returns the sub-criterion ("Trả lại đơn vị", the item's "reopen to edit") first."""
    if not codes:
        return ""
    which = f"Tiêu chí {', '.join(codes)} đã được duyệt"
    if is_leader(user, assessment):
        return (
            f"{which}: muốn thêm, sửa, thay hoặc xóa minh chứng, lãnh đạo cần trả lại tiêu chí "
            "trước (nút “Trả lại đơn vị” ở phần chấm điểm)."
        )
    return (
        f"{which}: không thêm, sửa, thay hoặc xóa được minh chứng. Muốn thay đổi, đề nghị "
        "lãnh đạo trả lại tiêu chí để đơn vị sửa."
    )


def upload_refusal(
    user: User, assessment: Assessment, assignment: Assignment, approved: bool | None = None
) -> str:
    """Why `user` may not add evidence to this sub-criterion now ("" if they may).

    Staff of the lead or a supporting unit (until the deadline), leaders and the secretary;
    only while the assessment is open and the sub-criterion is not approved (`approved`, when
    the caller knows it, saves the query)."""
    if is_frozen(assessment):
        return frozen_message(assessment)
    if assessment.status != Assessment.Status.OPEN:
        return ASSESSMENT_LOCKED
    if not (is_reviewer(user, assessment) or concerns_user(user, assignment)):
        return (
            "Chỉ đơn vị chủ trì, đơn vị phối hợp, lãnh đạo và văn thư được tải minh chứng "
            "cho tiêu chí này."
        )
    if approved is None:
        approved = Score.objects.filter(
            assessment=assessment,
            criterion_id=assignment.criterion_id,
            status=Score.Status.APPROVED,
        ).exists()
    if approved:
        return approved_refusal(user, assessment, [assignment.criterion.code])
    if is_reviewer(user, assessment):
        return ""
    if not staff_window_open_for(user, assessment):
        return WINDOW_CLOSED_FOR_UPLOADS
    return ""


def can_upload(
    user: User, assessment: Assessment, assignment: Assignment, approved: bool | None = None
) -> bool:
    if assessment.status != Assessment.Status.OPEN:
        return False  # without asking which report froze it: pages ask this per row
    return not upload_refusal(user, assessment, assignment, approved)


def require_upload(user: User, assessment: Assessment, assignment: Assignment) -> None:
    refusal = upload_refusal(user, assessment, assignment)
    if refusal:
        raise PermissionDenied(refusal)


def approved_criterion_ids(assessment: Assessment) -> set[int]:
    return set(
        Score.objects.filter(assessment=assessment, status=Score.Status.APPROVED).values_list(
            "criterion_id", flat=True
        )
    )


def delete_refusal(user: User, evidence: Any, approved_ids: set[int] | None = None) -> str:
    """Why `user` may not describe, replace, delete or restore `evidence` now ("" if they may).

    The uploader's unit or a leader, while the assessment is open and none of the
    sub-criteria the evidence backs is approved (`approved_refusal`: a leader returns it
    first)."""
    assessment = evidence.assessment
    if is_frozen(assessment):
        return frozen_message(assessment)
    if assessment.status != Assessment.Status.OPEN:
        return ASSESSMENT_LOCKED
    leader = is_leader(user, assessment)
    unit_id = unit_id_of(user)
    same_unit = is_member(user, assessment) and (
        evidence.created_by_id == user.pk
        or (unit_id is not None and unit_id == unit_id_of(evidence.created_by))
    )
    if not (leader or same_unit):
        return "Chỉ đơn vị đã tải lên hoặc lãnh đạo được xóa, khôi phục minh chứng này."
    if approved_ids is None:
        approved_ids = approved_criterion_ids(assessment)
    approved = [
        link.criterion.code for link in evidence.links.all() if link.criterion_id in approved_ids
    ]
    if approved:
        return approved_refusal(user, assessment, approved)
    if not leader and not staff_window_open_for(user, assessment):
        return WINDOW_CLOSED
    return ""


def can_delete(user: User, evidence: Any, approved_ids: set[int] | None = None) -> bool:
    if evidence.assessment.status != Assessment.Status.OPEN:
        return False  # without asking which report froze it: pages ask this per row
    return not delete_refusal(user, evidence, approved_ids)


def require_delete(user: User, evidence: Any) -> None:
    refusal = delete_refusal(user, evidence)
    if refusal:
        raise PermissionDenied(refusal)


def can_see_evidence_history(user: User, assessment: Assessment) -> bool:
    return is_leader(user, assessment)


# -- The audit trail -------------------------------------------------------------------------


def audit_scope(user: User) -> Q | None:
    """The audit entries `user` may read, as a filter; None when they may read none.

    Administrators read everything. A commune's leaders read their commune's entries: what
    its people did (logins included) and what anyone did to its data. Unit staff and the
    secretary do not: the trail is for oversight, by the commune's leaders or the city.
    City roles (issue 14) are to read every commune's entries: return Q() for them here."""
    if is_admin(user):
        return Q()
    membership = membership_of(user)
    if membership is not None and is_leader(user, membership.commune_id):
        return Q(commune_id=membership.commune_id)
    return None


def can_read_audit(user: User) -> bool:
    return audit_scope(user) is not None


def require_audit_scope(user: User) -> Q:
    scope = audit_scope(user)
    if scope is None:
        raise PermissionDenied("Chỉ lãnh đạo UBND xã và quản trị viên được xem nhật ký hoạt động.")
    return scope


def reads_every_commune(user: User) -> bool:
    """May choose the commune (administrators; later the city's roles)."""
    return audit_scope(user) == Q()


# -- Signing an issued report (Nghị định 30/2020, Điều 14) --------------------------------------
#
# A person's signature is personal: only the leader the report names as its signer applies
# it, from their own account and with their own key; nobody signs for them, administrators
# and the secretary included. The secretary (văn thư) numbers and issues the report, then
# applies the organisation's signature (its seal), and only after the person signed. The
# rules read the report's stored files through the reverse relation ("report" files at the
# "person" / "organisation" stage), as the rule book does not import the reports app.

SIGNED_BY_PERSON = "person"
SIGNED_BY_ORGANISATION = "organisation"


def signing_stages(report: Any) -> set[str]:
    """The stages the report's main file has reached ("person", "organisation"), once per
    report object (pages ask several rules)."""
    cached = getattr(report, "_signing_stages", None)
    if cached is None:
        cached = set(report.files.filter(kind="report").values_list("stage", flat=True))
        report._signing_stages = cached
    return cached


SIGNING_TITLES = {"chairman": "Chủ tịch", "deputy": "Phó Chủ tịch", "acting": "Q. Chủ tịch"}
"""The capacity a report is signed in (`Report.Authority`), as a title before the name."""


def signer_label(report: Any) -> str:
    """'Phó Chủ tịch Lưu Thị Tươi': the signer in the capacity the report names."""
    name = report.signer_name or (report.signer.get_full_name() if report.signer else "")
    title = SIGNING_TITLES.get(report.authority, "")
    return f"{title} {name}".strip() or "người ký"


def is_signing_leader(user: User, report: Any) -> bool:
    """`user` is the report's named signer and a leader of its commune (by membership, so an
    administrator's blanket role does not count)."""
    membership = membership_of(user)
    return (
        report.signer_id is not None
        and user.pk == report.signer_id
        and membership is not None
        and membership.commune_id == report.assessment.commune_id
        and membership.role == Membership.Role.LEADER
    )


def sign_person_refusal(user: User, report: Any) -> str:
    """Why `user` may not apply the person's signature to `report` now ("" if they may)."""
    if report.status != ISSUED:
        return "Chỉ ký được báo cáo đã ban hành."
    if report.signer_id is None:
        return "Báo cáo chưa ghi người ký."
    if not is_signing_leader(user, report):
        return (
            f"Chỉ {signer_label(report)} (người ký ghi trên báo cáo) được ký số bằng tài khoản "
            "của mình; không ai ký thay chữ ký của người khác."
        )
    if SIGNED_BY_PERSON in signing_stages(report):
        return "Người có thẩm quyền đã ký báo cáo này."
    return ""


def may_sign_person(user: User, report: Any) -> bool:
    return not sign_person_refusal(user, report)


def sign_organisation_refusal(user: User, report: Any) -> str:
    """Why `user` may not apply the organisation's signature (the seal) now ("" if they may):
    the commune's secretary (or an administrator), after the person signed, once."""
    if report.status != ISSUED:
        return "Chỉ ký được báo cáo đã ban hành."
    if not is_secretary(user, report.assessment):
        return "Chỉ văn thư được đóng dấu (ký số của cơ quan)."
    stages = signing_stages(report)
    if SIGNED_BY_ORGANISATION in stages:
        return "Cơ quan đã ký báo cáo này."
    if SIGNED_BY_PERSON not in stages:
        return f"Người có thẩm quyền phải ký trước, cơ quan ký sau: chờ {signer_label(report)} ký."
    return ""


def may_sign_organisation(user: User, report: Any) -> bool:
    return not sign_organisation_refusal(user, report)


def require_signing_role(user: User, report: Any, step: str) -> None:
    """Refuse (403) a signing step the person has no role for, whatever the report's state:
    the person's signature is the named signer's alone, the seal the secretary's."""
    if step == SIGNED_BY_PERSON and not is_signing_leader(user, report):
        raise PermissionDenied(sign_person_refusal(user, report) or "Không được ký.")
    if step == SIGNED_BY_ORGANISATION and not is_secretary(user, report.assessment):
        raise PermissionDenied("Chỉ văn thư được đóng dấu (ký số của cơ quan).")


def may_take_part_in_signing(user: User, report: Any) -> bool:
    """The named signer or the secretary: the two who act on the signing page."""
    return is_signing_leader(user, report) or is_secretary(user, report.assessment)


def signer_refusal(signer: Any, assessment: Assessment) -> str:
    """Why `signer` cannot be named to sign a report of `assessment` ("" if they can): a
    leader of the commune (issuing refuses a report without one)."""
    if signer is None:
        return "Báo cáo chưa ghi người ký: hãy chọn lãnh đạo ký báo cáo (Thông tin chung)."
    membership = membership_of(signer)
    if (
        membership is None
        or membership.commune_id != assessment.commune_id
        or membership.role != Membership.Role.LEADER
        or not signer.is_active
    ):
        return (
            f"Người ký ({signer.get_full_name() or signer.get_username()}) không phải lãnh đạo "
            "UBND xã: hãy chọn lại người ký (Thông tin chung)."
        )
    return ""


# -- Remote signing (ký số từ xa: the signer confirms on the phone) ------------------------------
#
# Only the report's named signer asks a remote signing service for their signature, from
# their own account (nobody signs for them, the secretary and administrators included), and
# only they follow the request (its waiting page and status): it waits for their phone. The
# objects are a report (its `signer_id`) and a reports.RemoteSigning (its `user_id`).


def may_sign_remotely(user: User, report: Any) -> bool:
    """The report's named signer, a leader of its commune by membership (the same person who
    may sign locally: `is_signing_leader`)."""
    return is_signing_leader(user, report)


def require_sign_remotely(user: User, report: Any) -> None:
    if not may_sign_remotely(user, report):
        raise PermissionDenied(
            "Chỉ người ký ghi trên báo cáo được ký số bằng tài khoản của mình; "
            "không ai ký thay chữ ký của người khác."
        )


def require_follow_remote_signing(user: User, signing: Any) -> None:
    if not (user.is_authenticated and signing.user_id == user.pk):
        raise PermissionDenied("Yêu cầu ký này không phải của Đồng chí.")
