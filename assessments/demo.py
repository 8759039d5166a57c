"""The demo data behind `make run`. Never used in production (the command refuses)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from assessments.models import Assessment, Commune, Score
from assessments.services import (
    assessment_create,
    city_get_or_create,
    city_user_create,
    commune_create,
    score_approve,
    score_propose,
    user_create,
)
from criteria.rules import RuleKind
from criteria.services import criteria_set_load_yaml
from guards.yamlfiles import read_yaml

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "demo.yaml"


@transaction.atomic
def demo_load(*, password: str, path: Path = DEMO_FILE, scores: bool = True) -> None:
    data = read_yaml(path)
    criteria_set = criteria_set_load_yaml(path=path.parent.parent / data["criteria_set"])
    levels = {level.name: level for level in criteria_set.levels.all()}
    for spec in data["communes"]:
        commune = commune_create(
            name=spec["name"],
            kind=spec.get("kind", Commune.Kind.XA),
            city=spec.get("city", "Hải Phòng"),
            address=spec.get("address", ""),
            units=spec.get("units", []),
            report_recipients=spec.get("report_recipients", ""),
        )
        units = {unit.name: unit for unit in commune.units.all()}
        for person in spec.get("people", []):
            user_create(
                username=person["username"],
                password=password,
                full_name=person["full_name"],
                commune=commune,
                role=person["role"],
                unit=units[person["unit"]] if person.get("unit") else None,
                title=person.get("title", ""),
                is_commune_admin=person.get("commune_admin", False),
            )
        if spec.get("report_signer"):
            commune.report_signer = get_user_model().objects.get(username=spec["report_signer"])
            commune.report_authority = spec.get("report_authority", "")
            commune.save(update_fields=["report_signer", "report_authority"])
        for item in spec.get("assessments", []):
            assessment_create(
                commune=commune,
                criteria_set=criteria_set,
                year=item["year"],
                period=item["period"],
                target_level=levels.get(item.get("target_level")),
                registration_number=item.get("registration_number", ""),
                registration_date=item.get("registration_date"),
                plan_number=item.get("plan_number", ""),
                plan_date=item.get("plan_date"),
            )
    if scores and data.get("scores"):
        demo_scores(data["scores"])
    for spec in data.get("cities", []):
        city = city_get_or_create(spec["name"])
        city.department = spec.get("department", city.department)
        city.save(update_fields=["department"])
        for person in spec.get("people", []):
            city_user_create(
                username=person["username"],
                password=password,
                full_name=person["full_name"],
                city=city,
                role=person["role"],
                title=person.get("title", ""),
            )
    User = get_user_model()
    for admin in data.get("admins", []):
        first, _, last = admin["full_name"].rpartition(" ")
        User.objects.create_superuser(
            username=admin["username"], password=password, first_name=first, last_name=last
        )


def demo_scores(spec: dict) -> None:
    """Score and approve every sub-criterion as the seed report's outcome says: the units'
    accounts and next tasks, the four shortfalls, and the second half's tasks not yet done."""
    User = get_user_model()
    users = {user.username: user for user in User.objects.all()}
    leader = users[spec["approved_by"]]
    assessment = Assessment.objects.get(commune__name=spec["commune"])
    accounts = {code: item for item in spec.get("accounts", []) for code in item["codes"]}
    next_tasks = spec.get("next_tasks", {})
    shortfalls = {item["code"]: item for item in spec.get("shortfalls", [])}
    later = spec.get("second_half", {})
    for score in Score.objects.filter(assessment=assessment).select_related("criterion"):
        criterion = score.criterion
        code = criterion.code
        item = shortfalls.get(code)
        fields: dict = {"next_tasks": next_tasks.get(code, "")}
        by = leader
        if item is not None:
            by = users[item["by"]]
            fields.update(result_text=item["result"], shortfall_reason=item["reason"])
            if "numerator" in item:
                fields.update(
                    numerator=Decimal(item["numerator"]), denominator=Decimal(item["denominator"])
                )
            else:
                fields["points"] = Decimal(item["points"])
        elif code in later.get("codes", []):
            reason = later.get("reasons", {}).get(code, later["reason"])
            fields.update(result_text=later["result"], shortfall_reason=reason)
            if criterion.rule == RuleKind.TIERS:
                fields.update(numerator=Decimal(0), denominator=Decimal(1))
            else:
                fields["points"] = Decimal(0)
        else:
            if code not in accounts:
                raise ValueError(f"The demo has no account for sub-criterion {code}.")
            account = accounts[code]
            by = users[account["by"]] if account.get("by") else leader
            fields["result_text"] = account["text"]
            if criterion.rule == RuleKind.TIERS:
                fields.update(numerator=Decimal(1), denominator=Decimal(1))
            else:
                fields["points"] = criterion.max_points
        score = score_propose(
            score=score, by=by, expected_version=score.version, submit=True, **fields
        )
        score_approve(score=score, by=leader, expected_version=score.version)
