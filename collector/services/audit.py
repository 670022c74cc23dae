"""The one entry point for writing the append-only audit log."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from collector.models import AuditAction, AuditEvent, Study


def audit_record(
    *,
    action: AuditAction | str,
    actor: AbstractBaseUser | None = None,
    study: Study | None = None,
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event. Details must hold no personal data (ids and counts only)."""
    return AuditEvent.objects.create(
        action=str(action),
        actor=actor if actor is not None and actor.is_authenticated else None,
        study=study,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details or {},
    )
