"""Evidence work done after the request (chinhquyen/celery.py): the previews of uploads."""

from __future__ import annotations

from celery import shared_task

from evidence.services import evidence_preview_make


@shared_task(
    name="evidence.make_preview",
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def make_evidence_preview(file_id: int) -> str:
    """Draw the preview of one uploaded version, once its upload committed.

    Idempotent (a drawn preview is never drawn again), so a retry after a storage or database
    error, or the redelivery of a killed worker's task (acks late), stores one thumbnail."""
    return evidence_preview_make(file_id=file_id)
