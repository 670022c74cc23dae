"""Frame timestamps and the binary frame stream the player reads."""
from __future__ import annotations

import numpy as np

from collector.models import FrameChunk, Session


def session_frame_times(*, session: Session) -> np.ndarray:
    """(n,) float64 frame timestamps in seq order, without loading landmark data."""
    parts = [
        np.frombuffer(bytes(t), dtype="<f8")
        for t in FrameChunk.objects.filter(session_id=session.pk)
        .order_by("first_seq")
        .values_list("t_ms", flat=True)
        .iterator(chunk_size=500)
    ]
    return np.concatenate(parts) if parts else np.empty(0, np.float64)
