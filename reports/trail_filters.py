"""The filter of the audit trail page (and of its export): person, unit, action, dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.access import membership_of
from assessments.models import Commune, Unit
from audit.models import AuditEntry

# Query-string names, as the portal's other filters spell them (?don-vi=, ?thao-tac=).
PARAMS = {
    "commune": "xa",
    "person": "nguoi",
    "unit": "don-vi",
    "action": "thao-tac",
    "start": "tu-ngay",
    "end": "den-ngay",
}
NO_COMMUNE = 0  # administrators' and system entries, not tied to a commune
DATE_INPUT = ["%Y-%m-%d", "%d/%m/%Y"]


def _person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class EntryFilterForm(forms.Form):
    commune = forms.TypedChoiceField(
        label=_("Xã, phường"), required=False, coerce=int, empty_value=None
    )
    person = forms.TypedChoiceField(
        label=_("Người thực hiện"), required=False, coerce=int, empty_value=None
    )
    unit = forms.TypedChoiceField(label=_("Đơn vị"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label=_("Thao tác"),
        required=False,
        choices=[("", _("Tất cả thao tác")), *AuditEntry.Action.choices],
    )
    start = forms.DateField(
        label=_("Từ ngày"),
        required=False,
        input_formats=DATE_INPUT,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("Đến ngày"),
        required=False,
        input_formats=DATE_INPUT,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data: QueryDict, *, user: User, every_commune: bool) -> None:
        super().__init__(data)
        self.every_commune = every_commune
        if every_commune:
            communes = list(Commune.objects.all())
            self._choices("commune").choices = [
                ("", _("Tất cả")),
                (NO_COMMUNE, _("Không thuộc xã nào (quản trị, hệ thống)")),
                *((c.pk, str(c)) for c in communes),
            ]
            chosen = str(data.get(PARAMS["commune"], ""))
            commune_id = int(chosen) if chosen in {str(c.pk) for c in communes} else None
        else:
            del self.fields["commune"]
            membership = membership_of(user)
            if membership is None:  # audit.access lets only leaders come here
                raise PermissionDenied
            commune_id = membership.commune_id
        users = get_user_model().objects.order_by("last_name", "first_name", "username")
        units = Unit.objects.select_related("commune").order_by("commune", "order", "name")
        if commune_id is not None:
            users = users.filter(membership__commune_id=commune_id)
            units = units.filter(commune_id=commune_id)
        self._choices("person").choices = [
            ("", _("Tất cả")),
            *((u.pk, _person_label(u)) for u in users),
        ]
        self._choices("unit").choices = [
            ("", _("Tất cả")),
            *((u.pk, str(u) if commune_id else f"{u} – {u.commune}") for u in units),
        ]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_class = "mb-3"
        names = [name for name in PARAMS if name in self.fields]
        self.helper.layout = Layout(
            Row(*(Column(name, css_class="col-md-4 col-lg-2") for name in names)),
            HTML(
                '<button type="submit" class="btn btn-primary btn-sm">Lọc</button> '
                '<a class="btn btn-link btn-sm" href="{% url \'audit:list\' %}">Bỏ lọc</a>'
            ),
        )

    def _choices(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def add_prefix(self, field_name: str) -> str:
        return PARAMS.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("“Đến ngày” phải sau “Từ ngày”."))
        return cleaned

    def apply(self, entries: QuerySet) -> QuerySet:
        """`entries` narrowed by every valid filter (an invalid one is shown and ignored)."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("commune") == NO_COMMUNE:
            entries = entries.filter(commune_id__isnull=True)
        elif data.get("commune") is not None:
            entries = entries.filter(commune_id=data["commune"])
        if data.get("person") is not None:
            entries = entries.filter(user_id=data["person"])
        if data.get("unit") is not None:
            entries = entries.filter(unit_id=data["unit"])
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        # Whole days of the portal's time zone, as bounds the index on `at` can use.
        if data.get("start"):
            entries = entries.filter(at__gte=_midnight(data["start"]))
        if data.get("end"):
            entries = entries.filter(at__lt=_midnight(data["end"] + dt.timedelta(days=1)))
        return entries

    def description(self) -> str:
        """The filters in words, for the export's heading: 'Thao tác: Duyệt điểm; Từ ngày: …'."""
        self.is_valid()
        parts = []
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            field = self.fields[name]
            if isinstance(value, dt.date):
                shown = f"{value:%d/%m/%Y}"
            else:
                shown = dict(getattr(field, "choices", ())).get(value, value)
            parts.append(f"{field.label}: {shown}")
        return "; ".join(parts) or "không lọc"

    def params(self) -> dict[str, str]:
        self.is_valid()
        return {
            PARAMS[name]: str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
