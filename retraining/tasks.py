"""Celery tasks: retraining (queue "training") and live inference (queue "inference").

retrain is acknowledged late and rejected (requeued) when its worker process dies,
so a run always finishes; it is idempotent by run id and takes the kind's lease
before doing anything, so duplicates wait or do nothing.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from collector.models import Session, SessionStatus
from retraining.locks import LockLost, kind_lock_acquire, kind_lock_release, kind_lock_seconds_left
from retraining.models import ModelKind, RunStatus, TrainingRun
from retraining.services.runs import (
    training_run_enqueue,
    training_run_fail,
    training_run_log,
    training_run_request,
    training_run_update,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.RETRAIN_SOFT_TIME_LIMIT_S,
    time_limit=settings.RETRAIN_TIME_LIMIT_S,
    max_retries=None,
)
def retrain(self, run_id: int) -> str:
    from retraining.pipeline import training_run_execute

    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return run.status
    token = uuid.uuid4().hex
    if not kind_lock_acquire(kind=run.kind, token=token, run_id=run.pk):
        # Another attempt (a live duplicate, or one whose worker died and whose lease
        # has not yet expired) holds the kind: come back when its lease could end.
        raise self.retry(countdown=max(1.0, kind_lock_seconds_left(kind=run.kind)) + 1)
    try:
        run.refresh_from_db()
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run.status
        restarted = run.status == RunStatus.RUNNING
        training_run_update(
            run_id=run.pk,
            status=RunStatus.RUNNING,
            started_at=run.started_at or timezone.now(),
            attempts=F("attempts") + 1,
        )
        training_run_log(
            run_id=run.pk,
            line=f"{'restarted' if restarted else 'started'} on {self.request.hostname}",
        )
        version = training_run_execute(run=run, token=token)
        return f"{version}"
    except LockLost:
        logger.warning("run %s: lease lost to another attempt; leaving the run to it", run_id)
        return "lease-lost"
    except SoftTimeLimitExceeded:
        training_run_fail(run_id=run.pk, error="time limit exceeded")
        return RunStatus.FAILED
    except Exception:
        training_run_fail(run_id=run.pk, error=traceback.format_exc())
        return RunStatus.FAILED
    finally:
        kind_lock_release(kind=run.kind, token=token)


def newly_labeled_sessions(*, kind: str) -> int:
    """Sessions labeled since the kind's last run (gold labels; for stress also ended
    sessions of studies whose stress rule needs no annotation)."""
    from labeling.selectors import sessions_with_gold_since
    from retraining.models import StressRuleMode

    last = TrainingRun.objects.filter(kind=kind).order_by("-created_at").first()
    since = last.created_at if last is not None else None
    count = sessions_with_gold_since(since=since)
    if kind == ModelKind.STRESS:
        rule_based = Session.objects.filter(
            status=SessionStatus.ENDED,
            participant__withdrawn_at__isnull=True,
            participant__study__stress_rule__mode__in=[
                StressRuleMode.PHASE,
                StressRuleMode.SELF_REPORT,
            ],
        )
        if since is not None:
            rule_based = rule_based.filter(ended_at__gt=since)
        count += rule_based.count()
    return count


@shared_task
def retrain_if_due() -> dict:
    """Beat: queue a run per kind once RETRAIN_MIN_NEW_SESSIONS newly labeled sessions exist."""
    started = {}
    for kind in ModelKind.values:
        new = newly_labeled_sessions(kind=kind)
        if new >= settings.RETRAIN_MIN_NEW_SESSIONS:
            run, created = training_run_request(kind=kind, trigger="schedule", params={})
            started[kind] = run.pk if created else None
    return started


@shared_task
def retrain_recover_stale() -> list[int]:
    """Beat: deliver again runs whose worker vanished (expired heartbeat) or whose message
    was lost (the filesystem broker cannot redeliver a killed worker's message)."""
    cutoff = timezone.now() - timedelta(seconds=settings.RETRAIN_LOCK_TTL_S)
    stale = TrainingRun.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=RunStatus.QUEUED, created_at__lt=cutoff, heartbeat_at__isnull=True)
        | Q(status=RunStatus.QUEUED, heartbeat_at__lt=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True))
    for run_id in ids:
        training_run_update(run_id=run_id)
        training_run_enqueue(run_id=run_id)
    return ids


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def session_infer(session_id: int) -> int:
    """Extend a session's live predictions with the chunks stored since the last pass."""
    from retraining.services.inference import session_prediction_update

    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        return 0
    return session_prediction_update(session=session)


@shared_task
def sessions_infer_active() -> int:
    """Beat: queue inference for recording sessions and ended ones not yet fully scored."""
    from retraining.selectors import sessions_needing_inference

    ids = sessions_needing_inference()
    for session_id in ids:
        session_infer.delay(session_id)
    return len(ids)
