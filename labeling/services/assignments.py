"""Assigning sessions to annotators with a chosen overlap."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from collector.models import Session, StudyMembership, StudyRole
from labeling.models import Assignment


@dataclass(frozen=True)
class AssignmentPlan:
    created: int
    sessions: int
    overlapped: int  # sessions given to two or more annotators


def sessions_assign(
    *,
    sessions: Sequence[Session],
    annotators: Sequence[AbstractBaseUser],
    overlap: float,
    per_overlap: int = 2,
    assigned_by: AbstractBaseUser | None = None,
    seed: int = 0,
) -> AssignmentPlan:
    """Give every session to one annotator (round robin, least loaded first) and a share
    `overlap` of them to `per_overlap` annotators, so agreement can be measured.

    Existing assignments are kept and counted; running it twice creates nothing new.
    """
    if not 0.0 <= overlap <= 1.0:
        raise ValidationError({"overlap": "Overlap is a share between 0 and 1."})
    if not annotators:
        raise ValidationError({"annotators": "Choose at least one annotator."})
    per_overlap = max(1, min(per_overlap, len(annotators)))
    study_ids = {s.participant.study_id for s in sessions}
    allowed = set(
        StudyMembership.objects.filter(
            study_id__in=study_ids, role__in=[StudyRole.ANNOTATOR, StudyRole.RESEARCHER]
        ).values_list("user_id", flat=True)
    )
    outsiders = [a for a in annotators if a.pk not in allowed and not a.is_superuser]
    if outsiders:
        raise ValidationError({"annotators": "Every annotator must be a member of the study."})

    ordered = sorted(sessions, key=lambda s: s.pk)
    rng = random.Random(seed)
    n_overlap = round(overlap * len(ordered))
    overlapped_ids = {s.pk for s in rng.sample(ordered, n_overlap)} if n_overlap else set()
    load = {a.pk: Assignment.objects.filter(annotator=a).count() for a in annotators}
    created = 0
    with transaction.atomic():
        for session in ordered:
            existing = set(
                Assignment.objects.filter(session=session).values_list("annotator_id", flat=True)
            )
            want = per_overlap if session.pk in overlapped_ids else 1
            candidates = sorted(
                (a for a in annotators if a.pk not in existing), key=lambda a: (load[a.pk], a.pk)
            )
            for annotator in candidates[: max(0, want - len(existing))]:
                Assignment.objects.create(
                    session=session, annotator=annotator, assigned_by=assigned_by
                )
                load[annotator.pk] += 1
                created += 1
    overlapped = sum(
        1
        for s in ordered
        if Assignment.objects.filter(session=s).count() >= 2
    )
    return AssignmentPlan(created=created, sessions=len(ordered), overlapped=overlapped)
