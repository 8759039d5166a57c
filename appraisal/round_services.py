"""The city's rounds of appraisal (Round): made and changed by the city's administrators.

A round is a criteria set × year × period of one city with its dates and its condition of
recognition beyond the total (a minimum share of each criterion's maximum, with where that
rule comes from). Changing that minimum re-computes the standing of every submission of the
round in the same transaction (`standing.refresh`), so nothing reads a stale `conditions_met`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from appraisal import standing
from appraisal.models import Round, Submission
from assessments.access import require_city_admin
from assessments.models import Assessment, City
from audit.services import Action, audit_record
from criteria.models import CriteriaSet

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HUNDRED = Decimal(100)
SHARE_RANGE = "Tỷ lệ tối thiểu là một số phần trăm từ 0 đến 100, hoặc để trống nếu không áp dụng."


def offered_criteria_sets() -> list[CriteriaSet]:
    """The criteria sets a round may use: those in use (published)."""
    return list(CriteriaSet.objects.filter(status=CriteriaSet.Status.IN_USE).order_by("title"))


def _duplicate_message(city: City, year: int, period: str) -> str:
    label = dict(Assessment.Period.choices).get(period, period)
    return f"{city.name} đã có đợt thẩm định {str(label).lower()} năm {year}."


@transaction.atomic
def round_save(
    *,
    city: City,
    by: User,
    criteria_set: CriteriaSet,
    year: int,
    period: str,
    submission_deadline: dt.date,
    appraisal_deadline: dt.date | None = None,
    council_date: dt.date | None = None,
    min_criterion_share: Decimal | None = None,
    condition_provenance: str = "",
    previous: Round | None = None,
    round_: Round | None = None,
) -> Round:
    """Make a round of `city`, or change `round_`. Refuses, field by field, a criteria set
    not in use, a share outside 0–100, a second round of the same year and period, dates
    out of order and a "previous round" of another city; a round that has submissions keeps
    its criteria set, year and period (the submissions were sent for them)."""
    require_city_admin(by, city)
    errors: dict[str, str] = {}
    if round_ is not None:
        round_ = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.city_id != city.pk:
            raise ValidationError("Đợt thẩm định không thuộc tỉnh, thành phố này.")
    if criteria_set.status != CriteriaSet.Status.IN_USE:
        errors["criteria_set"] = "Chỉ chọn được bộ tiêu chí đang áp dụng."
    if period not in Assessment.Period.values:
        errors["period"] = "Kỳ không hợp lệ."
    if min_criterion_share is not None and not (0 <= min_criterion_share <= HUNDRED):
        errors["min_criterion_share"] = SHARE_RANGE
    if appraisal_deadline is not None and appraisal_deadline < submission_deadline:
        errors["appraisal_deadline"] = "Hạn thẩm định không được trước hạn gửi hồ sơ."
    if council_date is not None:
        after = appraisal_deadline or submission_deadline
        if council_date < after:
            errors["council_date"] = (
                "Ngày họp Hội đồng không được trước hạn thẩm định."
                if appraisal_deadline is not None
                else "Ngày họp Hội đồng không được trước hạn gửi hồ sơ."
            )
    if previous is not None:
        if previous.city_id != city.pk:
            errors["previous"] = "Đợt trước phải là đợt thẩm định của cùng tỉnh, thành phố."
        elif round_ is not None and previous.pk == round_.pk:
            errors["previous"] = "Đợt trước không thể là chính đợt này."
    same = Round.objects.filter(city=city, year=year, period=period)
    if round_ is not None:
        same = same.exclude(pk=round_.pk)
    if "period" not in errors and same.exists():
        errors["period"] = _duplicate_message(city, year, period)
    moved = round_ is not None and (criteria_set.pk, year, period) != (
        round_.criteria_set_id,
        round_.year,
        round_.period,
    )
    if moved and round_ is not None and round_.submissions.exists():
        errors["criteria_set"] = "Đợt đã có hồ sơ gửi lên: không đổi được bộ tiêu chí, năm hoặc kỳ."
    if errors:
        raise ValidationError(errors)

    created = round_ is None
    share_changed = round_ is not None and round_.min_criterion_share != min_criterion_share
    target = round_ if round_ is not None else Round(city=city, created_by=by)
    before = (
        None
        if created
        else {
            "min_criterion_share": None
            if target.min_criterion_share is None
            else str(target.min_criterion_share),
            "submission_deadline": str(target.submission_deadline),
        }
    )
    target.criteria_set = criteria_set
    target.year, target.period = year, period
    target.submission_deadline = submission_deadline
    target.appraisal_deadline = appraisal_deadline
    target.council_date = council_date
    target.min_criterion_share = min_criterion_share
    target.condition_provenance = " ".join(condition_provenance.split())
    target.previous = previous
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # two administrators making the same round at once
        raise ValidationError({"period": _duplicate_message(city, year, period)}) from None
    refreshed = 0
    if share_changed:
        for submission in Submission.objects.select_for_update().filter(round=target):
            submission.round = target
            standing.refresh(submission)
            refreshed += 1
    audit_record(
        action=Action.ROUND_CHANGE,
        user=by,
        target=target,
        target_label=str(target),
        summary=("Tạo " if created else "Sửa ") + str(target),
        details={
            "before": before,
            "min_criterion_share": None
            if min_criterion_share is None
            else str(min_criterion_share),
            "refreshed": refreshed,
        },
    )
    return target
