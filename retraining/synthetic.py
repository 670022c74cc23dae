"""Synthetic landmark sessions for tests and the retraining benchmark.

Frames carry a class-dependent displacement of a few face landmarks plus noise, so a
model can learn them; nothing here is real data and every source is named "synthetic".
"""

from __future__ import annotations

import numpy as np

from collector.models import Session
from collector.services.frames import frame_chunk_store
from ml.features import FACE_DIM, FEATURE_DIM

BATCH = 64


def synthetic_frames(
    labels: np.ndarray, *, rng: np.random.Generator, n_classes: int = 7, subject_shift: float = 0.0
) -> np.ndarray:
    """(n, 1536) float32 frames whose face block encodes `labels` (ints) with noise."""
    labels = np.asarray(labels, dtype=np.int64)
    n = int(labels.shape[0])
    base = rng.normal(0.5, 0.05, FEATURE_DIM).astype(np.float32) + subject_shift
    frames = base + rng.normal(0.0, 0.05, (n, FEATURE_DIM)).astype(np.float32)
    # Each class moves its own slice of face coordinates (a stand-in for an expression).
    span = FACE_DIM // n_classes
    for cls in range(n_classes):
        rows = labels == cls
        frames[rows, cls * span : (cls + 1) * span] += 0.15
    return frames.astype(np.float32)


def synthetic_session_store(
    *, session: Session, frames: np.ndarray, fps: float = 15.0, face_ok: np.ndarray | None = None
) -> np.ndarray:
    """Store frames as FrameChunks of 64 through the real write path; returns t_ms."""
    n = int(frames.shape[0])
    # Continue the session's clock where its stored frames end.
    t_ms = (session.frame_count + np.arange(n, dtype=np.float64)) * (1000.0 / fps)
    presence = np.ones((n, 2), dtype=np.uint8)
    if face_ok is not None:
        presence[:, 0] = face_ok
    next_seq = session.frame_count
    for start in range(0, n, BATCH):
        end = min(n, start + BATCH)
        next_seq = frame_chunk_store(
            session=session,
            first_seq=next_seq,
            t_ms=t_ms[start:end],
            presence=presence[start:end],
            features=frames[start:end],
        )
    session.refresh_from_db()
    return t_ms
