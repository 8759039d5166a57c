"""The remote signing panel of the issued page (one include line there)."""

from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from assessments.access import may_sign_remotely
from reports.models import IssuedFile, RemoteSigning, Report, SigningKey

register = template.Library()


@register.inclusion_tag("reports/_remote_signing_panel.html", takes_context=True)
def remote_signing_panel(context: template.Context, report: Report) -> dict[str, Any]:
    """For the report's signer while the person's signature is missing: the request that
    waits for their phone, or the form to send one with their remote signing keys."""
    user = context["user"]
    empty: dict[str, Any] = {"panel": None}
    if report.status != Report.Status.ISSUED or not may_sign_remotely(user, report):
        return empty
    if report.files.filter(kind=IssuedFile.Kind.REPORT, stage=IssuedFile.Stage.PERSON).exists():
        return empty
    waiting = RemoteSigning.objects.filter(
        report=report,
        user=user,
        status=RemoteSigning.Status.WAITING,
        expires_at__gt=timezone.now(),
    ).first()
    keys = (
        []
        if waiting
        else list(
            SigningKey.objects.filter(
                commune_id=report.assessment.commune_id, owner=user, kind=SigningKey.Kind.CSC
            )
        )
    )
    return {
        "panel": {
            "report": report,
            "waiting": waiting,
            "form": bool(keys),
            "keys": keys,
            "minutes": max(settings.SIGNING_CSC_TIMEOUT_SECONDS // 60, 1),
        },
        "csrf_token": context.get("csrf_token"),
    }
