"""The model registry: registering versions, the promotion rule, rollback."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from collector.models import AuditAction
from collector.services.audit import audit_record
from retraining.models import ModelVersion, RunStatus, RunStep, TrainingRun


class RollbackInvalid(Exception):
    """The requested rollback target cannot be promoted."""


def promotion_decide(*, candidate: float | None, incumbent: float | None, has_incumbent: bool):
    """The promotion rule (docs/retraining.md): strictly better on the same held-out set.

    Returns (promote, reason).
    """
    if candidate is None:
        return False, "no held-out score for the new version"
    if not has_incumbent:
        return True, "first version with held-out metrics"
    if incumbent is None:
        return True, "the promoted version could not be scored on this held-out set"
    if candidate > incumbent:
        return True, f"beats the promoted version ({candidate:.4f} > {incumbent:.4f})"
    return False, f"does not beat the promoted version ({candidate:.4f} <= {incumbent:.4f})"


def _promote(*, version: ModelVersion, actor, action: AuditAction, details: dict) -> None:
    previous = (
        ModelVersion.objects.select_for_update()
        .filter(kind=version.kind, promoted=True)
        .exclude(pk=version.pk)
        .first()
    )
    if previous is not None:
        ModelVersion.objects.filter(pk=previous.pk).update(promoted=False)
    version.promoted = True
    version.promoted_at = timezone.now()
    version.save(update_fields=["promoted", "promoted_at"])
    audit_record(
        action=action,
        actor=actor,
        obj=version,
        details={
            "kind": version.kind,
            "version": version.version,
            "previous_version": previous.version if previous is not None else None,
            **details,
        },
    )


def model_version_register(
    *,
    run: TrainingRun,
    files: dict[str, Path],
    normalization: dict,
    class_names: list[str],
    metrics: dict,
    comparison: dict,
    promote: bool,
) -> ModelVersion:
    """Create the run's version (at most one: unique source_run), apply the promotion
    decision and mark the run succeeded, all in one transaction."""
    with transaction.atomic():
        locked_run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        existing = ModelVersion.objects.filter(source_run=locked_run).first()
        if existing is not None:
            version = existing
        else:
            latest = ModelVersion.objects.filter(kind=run.kind).aggregate(m=Max("version"))["m"]
            version = ModelVersion(
                kind=run.kind,
                version=(latest or 0) + 1,
                source_run=locked_run,
                normalization=normalization,
                class_names=class_names,
                metrics=metrics,
                comparison=comparison,
            )
            for field_name, path in files.items():
                with open(path, "rb") as fh:
                    getattr(version, field_name).save(path.name, File(fh), save=False)
            version.save()
            if promote:
                _promote(
                    version=version,
                    actor=None,
                    action=AuditAction.MODEL_PROMOTION,
                    details={"run": run.pk, **comparison},
                )
        TrainingRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED, step=RunStep.DONE, finished_at=timezone.now(), error=""
        )
    return version


def model_version_rollback(*, version: ModelVersion, actor: AbstractBaseUser | None) -> None:
    """Make an earlier version the promoted one again (an audited rollback)."""
    if version.promoted:
        raise RollbackInvalid(f"{version} is already the promoted version")
    if not version.metrics:
        raise RollbackInvalid(f"{version} has no held-out metrics")
    with transaction.atomic():
        _promote(
            version=version,
            actor=actor,
            action=AuditAction.MODEL_ROLLBACK,
            details={"reason": "rollback from the admin"},
        )
