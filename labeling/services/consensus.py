"""Gold labels: majority vote over annotators, with researcher adjudication on top.

Adjudicated spans are final; a rebuild recomputes majority gold only for the frames
no adjudication covers. Disputed frames (labels given, no majority) get no gold
until a researcher adjudicates them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from collector.models import AuditAction, Session
from collector.services.audit import audit_record
from labeling.discretize import label_track, majority, run_span_ms, runs
from labeling.models import GoldLabel, GoldSource
from labeling.selectors.agreement import session_matrix
from labeling.services.segments import label_schema_for


@dataclass(frozen=True)
class ConsensusResult:
    gold_segments: int
    disputed_spans: list[tuple[float, float]]
    annotators: int


def consensus_rebuild(
    *, session: Session, kind: str, actor: AbstractBaseUser | None = None
) -> ConsensusResult:
    labels = label_schema_for(study=session.participant.study).labels_for(kind)
    m = session_matrix(session=session, kind=kind, labels=labels)
    voters = len(m.annotator_ids)
    with transaction.atomic():
        GoldLabel.objects.filter(session=session, kind=kind, source=GoldSource.MAJORITY).delete()
        if voters == 0 or m.t_ms.size == 0:
            return ConsensusResult(0, [], voters)
        winner, share, disputed = majority(m.matrix, voters)
        adjudicated = GoldLabel.objects.filter(
            session=session, kind=kind, source=GoldSource.ADJUDICATED
        ).values_list("start_ms", "end_ms")
        covered = ~np.isnan(label_track(m.t_ms, [(s, e, 0) for s, e in adjudicated]))
        winner[covered] = np.nan
        disputed &= ~covered
        rows = []
        for first, last, code in runs(winner):
            start, end = run_span_ms(m.t_ms, first, last)
            rows.append(
                GoldLabel(
                    session=session,
                    kind=kind,
                    label=labels[code],
                    start_ms=start,
                    end_ms=end,
                    source=GoldSource.MAJORITY,
                    annotators=voters,
                    agreement=float(share[first : last + 1].mean()),
                )
            )
        GoldLabel.objects.bulk_create(rows)
        disputed_spans = [
            run_span_ms(m.t_ms, a, b) for a, b, _ in runs(np.where(disputed, 1.0, np.nan))
        ]
        audit_record(
            action=AuditAction.LABEL_CHANGE,
            actor=actor,
            study=session.participant.study,
            obj=session,
            details={"op": "consensus", "kind": kind, "gold": len(rows),
                     "disputed": len(disputed_spans), "annotators": voters},
        )
    return ConsensusResult(len(rows), disputed_spans, voters)


def gold_adjudicate(
    *,
    session: Session,
    kind: str,
    label: str,
    start_ms: float,
    end_ms: float,
    actor: AbstractBaseUser | None,
) -> GoldLabel:
    """A researcher decides the label of a span; it overrides majority gold there."""
    labels = label_schema_for(study=session.participant.study).labels_for(kind)
    if label not in labels:
        raise ValidationError({"label": f"Not a {kind} label of this study: {label!r}."})
    if not (float(end_ms) > float(start_ms) >= 0):
        raise ValidationError({"end_ms": "End must be after start, start not negative."})
    with transaction.atomic():
        # A new decision replaces earlier decisions it overlaps.
        GoldLabel.objects.filter(
            session=session,
            kind=kind,
            source=GoldSource.ADJUDICATED,
            start_ms__lt=end_ms,
            end_ms__gt=start_ms,
        ).delete()
        gold = GoldLabel.objects.create(
            session=session,
            kind=kind,
            label=label,
            start_ms=float(start_ms),
            end_ms=float(end_ms),
            source=GoldSource.ADJUDICATED,
            decided_by=actor if actor is not None and actor.is_authenticated else None,
            agreement=1.0,
        )
        audit_record(
            action=AuditAction.LABEL_CHANGE,
            actor=actor,
            study=session.participant.study,
            obj=gold,
            details={"op": "adjudicate", "session": str(session.uuid), "kind": kind,
                     "label": label, "start_ms": float(start_ms), "end_ms": float(end_ms)},
        )
    if session.segments.filter(kind=kind).exists():
        consensus_rebuild(session=session, kind=kind, actor=actor)
    return gold
