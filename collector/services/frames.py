"""Writing landmark frames: one FrameChunk row per accepted batch."""
from __future__ import annotations

import numpy as np
import psycopg
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from collector.models import FrameChunk, Session, SessionStatus
from collector.services.sessions import SessionEnded
from ml.features import FEATURE_DIM


class FrameGap(Exception):
    """A batch starts after the next expected seq; nothing was stored."""

    def __init__(self, next_seq: int) -> None:
        super().__init__(f"batch starts after next_seq={next_seq}")
        self.next_seq = next_seq


class FrameTimeNotMonotonic(ValueError):
    """The new frames do not come after the last stored frame in time; nothing was stored."""


def frame_chunk_store(
    *,
    session: Session,
    first_seq: int,
    t_ms: np.ndarray,
    presence: np.ndarray,
    features: np.ndarray,
) -> int:
    """Store the new part of a batch and return the session's next expected seq.

    Frames below next_seq are duplicates and dropped; a batch starting beyond
    next_seq raises FrameGap; new frames not later than the last stored frame raise
    FrameTimeNotMonotonic; an ended session raises SessionEnded. The chunk row and the
    session counter commit together, so an ack sent after this returns always covers
    durable frames.
    """
    count = int(t_ms.shape[0])
    if features.shape != (count, FEATURE_DIM) or presence.shape != (count, 2):
        raise ValueError("features must be (n, 1536) and presence (n, 2)")
    if connection.vendor == "postgresql":
        stored_next = _continuation_store_pg(
            session_id=session.pk, first_seq=first_seq, t_ms=t_ms, presence=presence,
            features=features,
        )
        if stored_next is not None:
            return stored_next
    last_t = (
        FrameChunk.objects.filter(session_id=OuterRef("pk"))
        .order_by("-first_seq")
        .values("t_end_ms")[:1]
    )
    with transaction.atomic():
        # The row lock serialises writers of one session, so (session, next_seq) is free.
        locked = (
            Session.objects.select_for_update()
            .only("frame_count", "status")
            .annotate(last_t_ms=Subquery(last_t))
            .get(pk=session.pk)
        )
        if locked.status == SessionStatus.ENDED:
            raise SessionEnded("This session has already ended.")
        next_seq = locked.frame_count
        if first_seq > next_seq:
            raise FrameGap(next_seq)
        skip = next_seq - first_seq
        if skip >= count:
            return next_seq
        new_t = np.ascontiguousarray(t_ms[skip:], dtype="<f8")
        if locked.last_t_ms is not None and new_t[0] <= locked.last_t_ms:
            raise FrameTimeNotMonotonic(
                f"frame {next_seq} at t_ms={new_t[0]} is not after the last stored frame "
                f"(t_ms={locked.last_t_ms})"
            )
        new_presence = np.ascontiguousarray(presence[skip:], dtype=np.uint8)
        new_features = np.ascontiguousarray(features[skip:], dtype="<f4")
        stored = count - skip
        face_count = int(new_presence[:, 0].sum())
        FrameChunk.objects.create(
            session_id=session.pk,
            first_seq=next_seq,
            count=stored,
            t_start_ms=float(new_t[0]),
            t_end_ms=float(new_t[-1]),
            face_count=face_count,
            data=new_features.tobytes(),
            t_ms=new_t.tobytes(),
            presence=new_presence.tobytes(),
        )
        Session.objects.filter(pk=session.pk).update(
            frame_count=F("frame_count") + stored,
            face_frame_count=F("face_frame_count") + face_count,
        )
        return next_seq + stored


# The common case (the batch continues exactly at next_seq) in one statement and one round
# trip: lock the session row, check state, order and time, insert the chunk and advance the
# counters. When any check fails nothing is written and the general path above decides
# (duplicate, gap, ended, time going back) under the same row lock.
_CONTINUATION_SQL = """
WITH s AS (
    SELECT id, frame_count, status FROM collector_session WHERE id = %(session)s FOR UPDATE
), last AS (
    SELECT t_end_ms FROM collector_framechunk WHERE session_id = %(session)s
    ORDER BY first_seq DESC LIMIT 1
), ok AS (
    SELECT id FROM s
    WHERE status <> 'ended' AND frame_count = %(first_seq)s
      AND NOT EXISTS (SELECT 1 FROM last WHERE t_end_ms >= %(t_start)s)
), ins AS (
    INSERT INTO collector_framechunk
        (session_id, first_seq, count, t_start_ms, t_end_ms, face_count, data, t_ms, presence,
         created_at)
    SELECT id, %(first_seq)s, %(count)s, %(t_start)s, %(t_end)s, %(faces)s, %(data)s, %(t_ms)s,
           %(presence)s, %(now)s
    FROM ok RETURNING session_id
)
UPDATE collector_session
SET frame_count = frame_count + %(count)s, face_frame_count = face_frame_count + %(faces)s
WHERE id IN (SELECT session_id FROM ins) RETURNING frame_count
"""


def _continuation_store_pg(*, session_id: int, first_seq: int, t_ms: np.ndarray,
                           presence: np.ndarray, features: np.ndarray) -> int | None:
    t = np.ascontiguousarray(t_ms, dtype="<f8")
    presence_u8 = np.ascontiguousarray(presence, dtype=np.uint8)
    params = {
        "session": session_id, "first_seq": first_seq, "count": int(t.shape[0]),
        "t_start": float(t[0]), "t_end": float(t[-1]), "faces": int(presence_u8[:, 0].sum()),
        "data": np.ascontiguousarray(features, dtype="<f4").tobytes(), "t_ms": t.tobytes(),
        "presence": presence_u8.tobytes(), "now": timezone.now(),
    }
    connection.ensure_connection()
    # A server-side-binding cursor sends the packed arrays as binary parameters
    # instead of escaping ~50 kB of bytea into the SQL text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_CONTINUATION_SQL, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])
