"""Starting training runs and recording their progress in the run row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from retraining.models import ACTIVE_RUN_STATUSES, ModelKind, RunStatus, TrainingRun


def training_run_request(
    *,
    kind: str,
    trigger: str = "admin",
    requested_by: AbstractBaseUser | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[TrainingRun, bool]:
    """Queue a run of `kind`, or return the one already queued/running (created=False).

    The partial unique constraint on active runs makes this race-free: two triggers
    at once give one run.
    """
    if kind not in ModelKind.values:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {ModelKind.values}")
    user = requested_by if requested_by is not None and requested_by.is_authenticated else None
    try:
        with transaction.atomic():
            run = TrainingRun.objects.create(
                kind=kind, trigger=trigger, requested_by=user, params=params or {}
            )
            transaction.on_commit(lambda: training_run_enqueue(run_id=run.pk))
    except IntegrityError:
        active = TrainingRun.objects.filter(kind=kind, status__in=ACTIVE_RUN_STATUSES).first()
        if active is None:
            raise
        return active, False
    return run, True


def training_run_enqueue(*, run_id: int) -> None:
    from retraining.tasks import retrain

    retrain.apply_async(args=[run_id])


def training_run_log(*, run_id: int, line: str) -> None:
    stamp = timezone.now().strftime("%H:%M:%S")
    TrainingRun.objects.filter(pk=run_id).update(
        log=Concat(F("log"), Value(f"{stamp} {line}\n")), heartbeat_at=timezone.now()
    )


def training_run_update(*, run_id: int, **fields: Any) -> None:
    TrainingRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now(), **fields)


def training_run_fail(*, run_id: int, error: str) -> None:
    training_run_update(
        run_id=run_id, status=RunStatus.FAILED, error=error[:10000], finished_at=timezone.now()
    )
    training_run_log(run_id=run_id, line=f"failed: {error.splitlines()[0] if error else ''}")
