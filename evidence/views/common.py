"""Lookups shared by the evidence views: each returns the object or raises 404/403."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404

from assessments.access import get_assessment_for_user
from assessments.models import Assessment, Assignment
from evidence.models import Evidence


def get_assignment(user: User, pk: int, criterion_pk: int) -> tuple[Assessment, Assignment]:
    """(assessment, assignment with its supporting units) for a leaf the user may see."""
    assessment = get_assessment_for_user(user, pk)
    assignment = get_object_or_404(
        Assignment.objects.select_related("criterion", "lead_unit").prefetch_related(
            "supporting_units"
        ),
        assessment=assessment,
        criterion_id=criterion_pk,
    )
    return assessment, assignment


def get_evidence(user: User, pk: int, evidence_pk: int) -> Evidence:
    assessment = get_assessment_for_user(user, pk)
    evidence = get_object_or_404(
        Evidence.objects.select_related("current_file", "criterion", "created_by"),
        assessment=assessment,
        pk=evidence_pk,
    )
    evidence.assessment = assessment
    return evidence
