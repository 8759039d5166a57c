"""Notices of the city's side. STUB written by helper B (i14-appraise) so that the request to
explain can call it before helper A's real module (i14-submit) is merged: A's version wins."""

from __future__ import annotations

from appraisal.models import ExplanationRequest


def notify_explanation_requested(request: ExplanationRequest) -> None:
    """Tell the commune's leaders and secretary that the city asks them to explain."""
