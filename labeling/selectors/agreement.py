"""Agreement figures for a study, computed on the frames of its labeled sessions."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model

from collector.models import Session, Study
from labeling import agreement
from labeling.discretize import label_track
from labeling.models import LabelKind, Segment
from labeling.selectors.frames import session_frame_times
from labeling.services.segments import label_schema_for


@dataclass(frozen=True)
class SessionMatrix:
    annotator_ids: list[int]
    t_ms: np.ndarray
    matrix: np.ndarray  # (annotators, frames) label index or NaN


def session_matrix(*, session: Session, kind: str, labels: list[str]) -> SessionMatrix:
    """One row per annotator with segments of `kind` in this session."""
    index = {label: i for i, label in enumerate(labels)}
    by_annotator: dict[int, list[tuple[float, float, int]]] = {}
    for annotator_id, start, end, label in (
        Segment.objects.filter(session=session, kind=kind)
        .order_by("created_at", "pk")
        .values_list("annotator_id", "start_ms", "end_ms", "label")
    ):
        if label in index:
            by_annotator.setdefault(annotator_id, []).append((start, end, index[label]))
    ids = sorted(by_annotator)
    t_ms = session_frame_times(session=session) if ids else np.empty(0)
    rows = [label_track(t_ms, by_annotator[a]) for a in ids]
    matrix = np.stack(rows) if rows else np.empty((0, 0))
    return SessionMatrix(annotator_ids=ids, t_ms=t_ms, matrix=matrix)


@dataclass
class StudyAgreement:
    kind: str
    labels: list[str]
    sessions: int = 0  # sessions with two or more annotators
    annotators: list[str] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    fleiss: agreement.Figure = agreement.Figure(None, 0)
    alpha_nominal: agreement.Figure = agreement.Figure(None, 0)
    alpha_ordinal: agreement.Figure | None = None  # stress levels are ordinal


def study_agreement(*, study: Study, kind: str, stride: int = 1) -> StudyAgreement:
    """Agreement over every frame (every `stride`-th) of sessions labeled by 2+ people."""
    labels = label_schema_for(study=study).labels_for(kind)
    session_ids = (
        Segment.objects.filter(
            session__participant__study=study,
            session__participant__withdrawn_at__isnull=True,
            kind=kind,
        )
        .values_list("session_id", flat=True)
        .distinct()
    )
    parts: list[SessionMatrix] = []
    for session in Session.objects.filter(pk__in=list(session_ids)).order_by("pk"):
        part = session_matrix(session=session, kind=kind, labels=labels)
        if len(part.annotator_ids) >= 2 and part.t_ms.size:
            parts.append(part)
    result = StudyAgreement(kind=kind, labels=labels, sessions=len(parts))
    if kind == LabelKind.STRESS:
        result.alpha_ordinal = agreement.Figure(None, 0)
    if not parts:
        return result
    everyone = sorted({a for p in parts for a in p.annotator_ids})
    row = {a: i for i, a in enumerate(everyone)}
    blocks = []
    for p in parts:
        block = np.full((len(everyone), p.matrix[:, ::stride].shape[1]), np.nan)
        for i, a in enumerate(p.annotator_ids):
            block[row[a]] = p.matrix[i, ::stride]
        blocks.append(block)
    matrix = np.concatenate(blocks, axis=1)
    names = dict(
        get_user_model().objects.filter(pk__in=everyone).values_list("pk", "username")
    )
    result.annotators = [names.get(a, str(a)) for a in everyone]
    result.pairs = [
        {
            "first": result.annotators[p.first],
            "second": result.annotators[p.second],
            "kappa": p.kappa.value,
            "items": p.kappa.items,
        }
        for p in agreement.cohen_pairs(matrix)
        if p.kappa.items > 0
    ]
    result.fleiss = agreement.fleiss_kappa(agreement.category_counts(matrix, len(labels)))
    result.alpha_nominal = agreement.krippendorff_alpha(matrix, level="nominal")
    if kind == LabelKind.STRESS:
        result.alpha_ordinal = agreement.krippendorff_alpha(matrix, level="ordinal")
    return result
