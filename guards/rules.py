"""How a view declares who it is for: `@rule("leader")` above it. The names are the rule book's
(assessments.access decides what each means for an object); they live here, below every app,
so that apps the rule book may not be imported by declare their views the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required

RULES = {
    "public": "anyone, signed in or not",
    "signed_in": "any signed-in person",
    "member": "anyone of the assessment's commune (administrators included)",
    "unit": "staff whose unit the object concerns, leaders, the secretary (the view narrows)",
    "reviewer": "leaders and the secretary of the commune, administrators",
    "leader": "leaders of the commune, administrators",
    "secretary": "the secretary of the commune, administrators (leaders for some actions)",
    "audit_reader": "leaders (their commune) and administrators (every commune)",
    "commune_admin": "the commune's administrators (Membership.is_commune_admin) and system administrators",
    "system_admin": "system administrators (superusers) only",
    "city": "the city's people (appraisers, council, city administrators) and system administrators",
    "appraiser": "the city's appraisers and administrators (the view narrows to their criteria)",
    "council": "the city's council members and chair, and its administrators (to prepare)",
    "city_admin": "the city's administrators and system administrators",
    "city_signer": "the city's leader named as a document's signer (the view narrows to them)",
    "job_owner": "the person who started the job (jobs/): nobody else sees it or its result",
    "commune_answer": "leaders of the commune whose submission the city asked to explain",
}


def rule(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare who a view is for, in one visible place above it.

    Every rule but "public" requires a signed-in person (anonymous people are sent to the
    login page); the view's first lines then ask this module for the object and the right.
    `access_rule` on the view lets the URL × persona test find views without a rule."""
    if name not in RULES:
        raise ValueError(f"Unknown access rule {name!r}; add it to RULES first.")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = view if name == "public" else login_required(view)
        wrapped.access_rule = name  # type: ignore[attr-defined]
        return wrapped

    return decorate
