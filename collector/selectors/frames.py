"""Reading landmark frames back as arrays, without a Python loop per frame."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from collector.models import FrameChunk, Session, SessionEvent
from ml.features import FEATURE_DIM


@dataclass(frozen=True)
class FrameArrays:
    features: np.ndarray  # (n, 1536) float32
    t_ms: np.ndarray  # (n,) float64
    presence: np.ndarray  # (n, 2) uint8: face_ok, pose_ok
    first_seq: int = 0
    phase: np.ndarray | None = None  # (n,) str: the protocol phase each frame fell in ("" outside)

    def __len__(self) -> int:
        return int(self.t_ms.shape[0])


def chunk_arrays(chunk: FrameChunk) -> FrameArrays:
    n = chunk.count
    return FrameArrays(
        features=np.frombuffer(bytes(chunk.data), dtype="<f4").reshape(n, FEATURE_DIM),
        t_ms=np.frombuffer(bytes(chunk.t_ms), dtype="<f8"),
        presence=np.frombuffer(bytes(chunk.presence), dtype=np.uint8).reshape(n, 2),
        first_seq=chunk.first_seq,
    )


def session_frame_chunks(*, session: Session, batch_rows: int = 64) -> Iterator[FrameArrays]:
    """Stream a session's chunks in seq order; memory stays bounded to a few chunks."""
    qs = FrameChunk.objects.filter(session_id=session.pk).order_by("first_seq")
    for chunk in qs.iterator(chunk_size=batch_rows):
        yield chunk_arrays(chunk)


def session_frames(*, session: Session) -> FrameArrays:
    """All of a session's frames as one (n, 1536) float32 array with timestamps."""
    parts = list(session_frame_chunks(session=session))
    if not parts:
        return FrameArrays(
            features=np.empty((0, FEATURE_DIM), np.float32),
            t_ms=np.empty(0, np.float64),
            presence=np.empty((0, 2), np.uint8),
        )
    return FrameArrays(
        features=np.concatenate([p.features for p in parts]),
        t_ms=np.concatenate([p.t_ms for p in parts]),
        presence=np.concatenate([p.presence for p in parts]),
    )


def frame_phase_labels(*, t_ms: np.ndarray, events: list[tuple[str, float, str]]) -> np.ndarray:
    """Label each frame time with its phase from (name, t_ms, phase) start/end events.

    A frame belongs to the latest phase_start at or before it, unless that phase's
    matching phase_end came first. Vectorised with searchsorted, no loop per frame.
    """
    starts = sorted((t, phase) for name, t, phase in events if name == "phase_start")
    labels = np.full(t_ms.shape[0], "", dtype=object)
    if not starts:
        return labels.astype(str)
    start_t = np.array([t for t, _ in starts], dtype=np.float64)
    start_phase = np.array([p for _, p in starts], dtype=object)
    ends: dict[str, list[float]] = {}
    for name, t, phase in events:
        if name == "phase_end":
            ends.setdefault(phase, []).append(t)
    # Each start closes at its own phase_end (the first one after it) or the next start.
    next_start = np.append(start_t[1:], np.inf)
    end_t = next_start.copy()
    for i, (t, phase) in enumerate(starts):
        later = [e for e in ends.get(phase, []) if e >= t]
        if later:
            end_t[i] = min(min(later), next_start[i])
    index = np.searchsorted(start_t, t_ms, side="right") - 1
    inside = index >= 0
    inside[inside] = t_ms[inside] <= end_t[index[inside]]
    labels[inside] = start_phase[index[inside]]
    return labels.astype(str)


def session_frames_with_phases(*, session: Session) -> FrameArrays:
    """session_frames plus the protocol phase of every frame (from phase events)."""
    frames = session_frames(session=session)
    events = [
        (name, t, str((data or {}).get("phase", "")))
        for name, t, data in SessionEvent.objects.filter(
            session_id=session.pk, name__in=("phase_start", "phase_end")
        ).values_list("name", "t_ms", "data")
    ]
    return FrameArrays(
        features=frames.features,
        t_ms=frames.t_ms,
        presence=frames.presence,
        phase=frame_phase_labels(t_ms=frames.t_ms, events=events),
    )
