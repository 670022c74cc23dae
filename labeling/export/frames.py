"""Frame batches for an export: one study's eligible sessions, read chunk by chunk,
joined with phases and gold labels, filtered, and grouped into bounded batches."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from collector.models import Session, SessionEvent, Study
from collector.selectors.frames import frame_phase_labels, session_frame_chunks
from labeling.discretize import label_track
from labeling.models import GoldLabel, LabelKind
from ml.features import EMOTIONS, STRESS_LEVELS, stress_level_score

LABEL_STATUS_CHOICES = (
    ("any", "any frame"),
    ("gold", "gold-labeled frames only"),
    ("unlabeled", "unlabeled frames only"),
)
LABEL_STATUSES = tuple(value for value, _ in LABEL_STATUS_CHOICES)


@dataclass
class FrameBatch:
    X: np.ndarray  # (k, 1536) float32
    columns: dict[str, np.ndarray]  # every META column, (k,)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @staticmethod
    def concat_columns(parts: list[FrameBatch]) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p.columns[k] for p in parts]) for k in parts[0].columns}

    @staticmethod
    def concat(parts: list[FrameBatch]) -> FrameBatch:
        return FrameBatch(
            X=np.concatenate([p.X for p in parts]), columns=FrameBatch.concat_columns(parts)
        )


def export_sessions(*, study: Study, filters: dict) -> QuerySet[Session]:
    """Sessions an export covers: never a withdrawn participant's."""
    qs = Session.objects.filter(
        participant__study=study, participant__withdrawn_at__isnull=True, frame_count__gt=0
    ).select_related("participant")
    if filters.get("sessions"):
        qs = qs.filter(uuid__in=filters["sessions"])
    return qs.order_by("pk")


def export_phases(*, study: Study) -> list[str]:
    """Protocol phases recorded in the study's exportable sessions, sorted."""
    data = SessionEvent.objects.filter(
        session__in=export_sessions(study=study, filters={}), name="phase_start"
    ).values_list("data", flat=True)
    return sorted({str(d["phase"]) for d in data if isinstance(d, dict) and d.get("phase")})


Spans = list[tuple[float, float, int]]


def gold_spans(session: Session) -> tuple[Spans, Spans]:
    """The session's gold emotion and stress spans as (start, end, class index)."""
    emotion_codes = {label: i for i, label in enumerate(EMOTIONS)}
    stress_codes = {label: i for i, label in enumerate(STRESS_LEVELS)}
    emotion: Spans = []
    stress: Spans = []
    for kind, label, start, end in GoldLabel.objects.filter(session=session).order_by(
        "created_at", "pk"
    ).values_list("kind", "label", "start_ms", "end_ms"):
        if kind == LabelKind.EMOTION and label in emotion_codes:
            emotion.append((start, end, emotion_codes[label]))
        elif kind == LabelKind.STRESS and label in stress_codes:
            stress.append((start, end, stress_codes[label]))
    return emotion, stress


def session_batches(*, session: Session, source: str, filters: dict) -> Iterator[FrameBatch]:
    """One batch per stored chunk, with the filters applied; memory: one chunk."""
    events = [
        (name, t, str((data or {}).get("phase", "")))
        for name, t, data in SessionEvent.objects.filter(
            session_id=session.pk, name__in=("phase_start", "phase_end")
        ).values_list("name", "t_ms", "data")
    ]
    emotion_spans, stress_spans = gold_spans(session)
    phase_filter = filters.get("phase") or ""
    status = filters.get("label_status") or "any"
    levels = np.array([""] + list(STRESS_LEVELS), dtype=object)
    emotions = np.array([""] + list(EMOTIONS), dtype=object)
    scores = np.array([np.nan] + [stress_level_score(s) for s in STRESS_LEVELS], np.float32)
    for chunk in session_frame_chunks(session=session):
        n = len(chunk)
        t_ms = chunk.t_ms
        emotion_code = label_track(t_ms, emotion_spans)
        stress_code = label_track(t_ms, stress_spans)
        phase = frame_phase_labels(t_ms=t_ms, events=events)
        keep = np.ones(n, bool)
        if phase_filter:
            keep &= phase == phase_filter
        labeled = ~np.isnan(emotion_code) | ~np.isnan(stress_code)
        if status == "gold":
            keep &= labeled
        elif status == "unlabeled":
            keep &= ~labeled
        if not keep.any():
            continue
        e_idx = np.where(np.isnan(emotion_code), -1, emotion_code).astype(np.int64)
        s_idx = np.where(np.isnan(stress_code), -1, stress_code).astype(np.int64)
        columns = {
            "groups": np.full(n, session.participant.code, dtype=object),
            "session": np.full(n, str(session.uuid), dtype=object),
            "source": np.full(n, source, dtype=object),
            "seq": np.arange(chunk.first_seq, chunk.first_seq + n, dtype=np.int64),
            "t": t_ms.astype(np.float64),
            "phase": phase.astype(object),
            "face_ok": chunk.presence[:, 0].astype(np.uint8),
            "pose_ok": chunk.presence[:, 1].astype(np.uint8),
            "y": e_idx,
            "emotion": emotions[e_idx + 1],
            "stress": scores[s_idx + 1],
            "stress_level": levels[s_idx + 1],
        }
        if keep.all():  # the common case: no copy of the landmark block
            yield FrameBatch(X=chunk.features, columns=columns)
        else:
            yield FrameBatch(
                X=chunk.features[keep], columns={k: v[keep] for k, v in columns.items()}
            )


def batches_grouped(parts: Iterator[FrameBatch], *, rows: int) -> Iterator[list[FrameBatch]]:
    """Group small per-chunk batches into lists of about `rows` frames, without copying
    them: a writer turns each group into one Parquet row group / CSV block (bounded
    memory: one group plus one chunk)."""
    pending: list[FrameBatch] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= rows:
            yield pending
            pending, size = [], 0
    if pending:
        yield pending
