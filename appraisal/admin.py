"""The city's data in the Django admin, for system administrators: rounds are kept on the
city's own pages; submissions, requests and the council's records are read here, not edited
(they change only through the services, which keep the stages and the standing true)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from appraisal.models import CouncilSession, ExplanationRequest, Round, Submission


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "criteria_set", "submission_deadline", "min_criterion_share"]
    list_filter = ["city", "year"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "stage", "submitted_at", "appraised_total", "level_reached"]
    list_filter = ["round", "stage"]
    search_fields = ["assessment__commune__name"]


@admin.register(ExplanationRequest)
class ExplanationRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "submission", "status", "created_at"]
    list_filter = ["status"]


@admin.register(CouncilSession)
class CouncilSessionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "round", "status"]
    list_filter = ["status"]
