"""Sessions with stored frames for labeling tests, written through the capture service."""
from __future__ import annotations

import numpy as np

from collector.models import Session
from collector.services.frames import frame_chunk_store
from ml.features import FEATURE_DIM
from tests.factories import SessionFactory


def session_with_frames(*, n: int = 100, step_ms: float = 100.0, batch: int = 20, seed: int = 0,
                        **session_kwargs) -> Session:
    """A session whose frame i is at t = i * step_ms, stored in batches of `batch`."""
    session = session_kwargs.pop("session", None) or SessionFactory(**session_kwargs)
    rng = np.random.default_rng(seed)
    features = rng.random((n, FEATURE_DIM), dtype=np.float32)
    t_ms = np.arange(n, dtype=np.float64) * step_ms
    presence = np.ones((n, 2), np.uint8)
    for first in range(0, n, batch):
        sl = slice(first, min(n, first + batch))
        frame_chunk_store(session=session, first_seq=first, t_ms=t_ms[sl],
                          presence=presence[sl], features=features[sl])
    session.refresh_from_db()
    return session
