"""Helpers for the audit trail's tests: what was recorded since a point, and a report that
went all the way (issued, signed by the person and the commune, dossier built)."""

from __future__ import annotations

import pytest
from django.db.models import Max

from audit.models import AuditEntry
from reports.demo.signing import demo_signing_setup
from reports.models import SigningKey


def mark() -> int:
    """The newest entry's number now (0 when there is none)."""
    return AuditEntry.objects.aggregate(n=Max("id"))["n"] or 0


def since(start: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=start).order_by("id"))


def only_entry(start: int) -> AuditEntry:
    entries = since(start)
    assert len(entries) == 1, [(e.action, e.summary) for e in entries]
    return entries[0]


@pytest.fixture
def signing(demo_scored):
    """The demo commune's two test keys (the signer's and the commune's)."""
    demo_signing_setup(commune=demo_scored.commune)
    person = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=False)
    organisation = SigningKey.objects.get(commune=demo_scored.commune, owner__isnull=True)
    return person, organisation
