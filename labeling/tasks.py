"""Celery tasks for labeling: exports (take ids, idempotent)."""
from __future__ import annotations

from celery import shared_task

from labeling.services import exports


@shared_task(acks_late=True)
def export_run(job_id: int) -> str:
    return exports.export_build(job_id=job_id).status


@shared_task
def exports_expire() -> int:
    return exports.exports_expire()
