"""Writing annotation segments. Every change is validated against the study's label
schema and recorded in the audit log (ids and labels only, no participant data)."""
from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from collector.models import AuditAction, Session, Study
from collector.services.audit import audit_record
from labeling.models import LabelKind, LabelSchema, Segment

EDITABLE_FIELDS = ("kind", "label", "start_ms", "end_ms", "confidence", "note")


def label_schema_for(*, study: Study) -> LabelSchema:
    schema, _ = LabelSchema.objects.get_or_create(study=study)
    return schema


def _validated(*, study: Study, values: dict[str, Any]) -> dict[str, Any]:
    schema = label_schema_for(study=study)
    errors: dict[str, str] = {}
    kind = values.get("kind")
    if kind not in LabelKind.values:
        errors["kind"] = f"Choose one of {', '.join(LabelKind.values)}."
    elif values.get("label") not in schema.labels_for(kind):
        errors["label"] = f"Not a {kind} label of this study: {values.get('label')!r}."
    try:
        start, end = float(values.get("start_ms")), float(values.get("end_ms"))
    except (TypeError, ValueError):
        errors["start_ms"] = "Start and end must be numbers (ms)."
    else:
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0:
            errors["start_ms"] = "Start and end must be finite and not negative."
        elif end <= start:
            errors["end_ms"] = "End must be after start."
        values["start_ms"], values["end_ms"] = start, end
    confidence = values.get("confidence")
    if confidence in ("", None):
        values["confidence"] = None
    elif not schema.allow_confidence:
        errors["confidence"] = "This study does not record confidence."
    else:
        try:
            values["confidence"] = float(confidence)
        except (TypeError, ValueError):
            errors["confidence"] = "Confidence must be a number between 0 and 1."
        else:
            if not 0.0 <= values["confidence"] <= 1.0:
                errors["confidence"] = "Confidence must be between 0 and 1."
    note = values.get("note") or ""
    if note and not schema.allow_note:
        errors["note"] = "This study does not record notes."
    values["note"] = str(note)[:2000]
    if errors:
        raise ValidationError(errors)
    return values


def _audit(*, actor: AbstractBaseUser, segment: Segment, op: str) -> None:
    audit_record(
        action=AuditAction.LABEL_CHANGE,
        actor=actor,
        study=segment.session.participant.study,
        obj=segment,
        details={
            "op": op,
            "segment": str(segment.uid),
            "session": str(segment.session.uuid),
            "kind": segment.kind,
            "label": segment.label,
            "start_ms": segment.start_ms,
            "end_ms": segment.end_ms,
        },
    )


def segment_create(
    *,
    session: Session,
    annotator: AbstractBaseUser,
    kind: str,
    label: str,
    start_ms: float,
    end_ms: float,
    confidence: float | None = None,
    note: str = "",
) -> Segment:
    values = _validated(
        study=session.participant.study,
        values={
            "kind": kind,
            "label": label,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "confidence": confidence,
            "note": note,
        },
    )
    with transaction.atomic():
        segment = Segment.objects.create(session=session, annotator=annotator, **values)
        _audit(actor=annotator, segment=segment, op="create")
    return segment


def segment_update(*, segment: Segment, actor: AbstractBaseUser, **changes: Any) -> Segment:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: "This field cannot be changed." for f in sorted(unknown)})
    values = {f: getattr(segment, f) for f in EDITABLE_FIELDS}
    values.update(changes)
    values = _validated(study=segment.session.participant.study, values=values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(segment, field, value)
        segment.updated_at = timezone.now()
        segment.save()
        _audit(actor=actor, segment=segment, op="update")
    return segment


def segment_delete(*, segment: Segment, actor: AbstractBaseUser) -> None:
    with transaction.atomic():
        _audit(actor=actor, segment=segment, op="delete")
        segment.delete()
