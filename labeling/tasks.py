"""Celery tasks for labeling: exports (take ids, idempotent)."""
from __future__ import annotations

import logging

from celery import shared_task

from labeling.models import ExportJob
from labeling.services import exports

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def export_run(job_id: int) -> str:
    try:
        return exports.export_build(job_id=job_id).status
    except ExportJob.DoesNotExist:
        # The job (or its study) was deleted before the task ran: nothing to build.
        logger.warning("export job %s no longer exists; nothing to do", job_id)
        return "missing"


@shared_task
def exports_expire() -> int:
    return exports.exports_expire()
