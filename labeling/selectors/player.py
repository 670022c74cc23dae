"""What the session player loads: metadata as JSON, frames as binary float32 chunks."""
from __future__ import annotations

import struct
from collections.abc import Iterator

from django.db.models import Max, Min

from collector.models import FrameChunk, QuestionnaireResponse, Session, SessionEvent
from labeling.models import GoldLabel, Segment
from labeling.services.segments import label_schema_for
from ml.features import FEATURE_DIM

FRAMES_MAGIC = b"SLF1"
FRAMES_HEADER = struct.Struct("<4sIII")  # magic, first_seq, count, feature_dim
PHASE_EVENTS = ("phase_start", "phase_end")


def segment_json(seg: Segment) -> dict:
    return {
        "uid": str(seg.uid), "kind": seg.kind, "label": seg.label, "start_ms": seg.start_ms,
        "end_ms": seg.end_ms, "confidence": seg.confidence, "note": seg.note,
        "annotator": seg.annotator.get_username(), "annotator_id": seg.annotator_id,
    }


def player_meta(*, session: Session, user, can_see_all: bool) -> dict:
    agg = FrameChunk.objects.filter(session=session).aggregate(
        t0=Min("t_start_ms"), t1=Max("t_end_ms")
    )
    segments = Segment.objects.filter(session=session).select_related("annotator")
    if not can_see_all:
        segments = segments.filter(annotator=user)
    schema = label_schema_for(study=session.participant.study)
    events = SessionEvent.objects.filter(session=session).order_by("t_ms")
    phases, ratings = [], []
    open_phases: dict[str, float] = {}
    for ev in events:
        data = ev.data or {}
        if ev.name == "phase_start":
            open_phases[str(data.get("phase", ""))] = ev.t_ms
        elif ev.name == "phase_end":
            name = str(data.get("phase", ""))
            start = open_phases.pop(name, None)
            if start is not None:
                phases.append({"name": name, "kind": data.get("kind", ""), "start_ms": start,
                               "end_ms": ev.t_ms})
        elif ev.name == "rating":
            ratings.append({"t_ms": ev.t_ms, "data": data})
    for name, start in open_phases.items():
        phases.append({"name": name, "kind": "", "start_ms": start, "end_ms": agg["t1"]})
    in_session = QuestionnaireResponse.objects.filter(session=session, timing="in_session")
    return {
        "session": str(session.uuid),
        "participant": session.participant.code,
        "frames": session.frame_count,
        "feature_dim": FEATURE_DIM,
        "t_start_ms": agg["t0"] or 0.0,
        "t_end_ms": agg["t1"] or 0.0,
        "phases": phases,
        "ratings": ratings,
        "questionnaires": [
            {"instrument": r.instrument, "scores": r.scores} for r in in_session
        ],
        "segments": [segment_json(s) for s in segments],
        "gold": list(GoldLabel.objects.filter(session=session).values(
            "kind", "label", "start_ms", "end_ms", "source")),
        "schema": {"emotion": schema.labels_for("emotion"),
                   "stress": schema.labels_for("stress"),
                   "allow_note": schema.allow_note,
                   "allow_confidence": schema.allow_confidence},
    }


def frames_stream(*, session: Session, from_seq: int, count: int) -> tuple[int, Iterator[bytes]]:
    """Frames [from_seq, from_seq + count) as one binary message, straight from the stored
    chunk bytes: header, float64 t_ms[n], uint8 presence[n*2] padded to 8 bytes,
    float32 features[n*1536]; all little-endian. Returns (n, byte iterator)."""
    chunks = list(
        FrameChunk.objects.filter(session=session, first_seq__lt=from_seq + count)
        .filter(first_seq__gte=_first_chunk_start(session, from_seq))
        .order_by("first_seq")
        .values_list("first_seq", "count", "t_ms", "presence", "data")
    )
    parts_t, parts_p, parts_x = [], [], []
    first = None
    n = 0
    for first_seq, k, t_ms, presence, data in chunks:
        lo = max(from_seq - first_seq, 0)
        hi = min(from_seq + count - first_seq, k)
        if hi <= lo:
            continue
        first = first_seq + lo if first is None else first
        parts_t.append(bytes(t_ms)[lo * 8 : hi * 8])
        parts_p.append(bytes(presence)[lo * 2 : hi * 2])
        parts_x.append(memoryview(bytes(data))[lo * FEATURE_DIM * 4 : hi * FEATURE_DIM * 4])
        n += hi - lo
    presence = b"".join(parts_p)
    presence += b"\0" * (-len(presence) % 8)

    def body() -> Iterator[bytes]:
        yield FRAMES_HEADER.pack(FRAMES_MAGIC, first if first is not None else from_seq, n,
                                 FEATURE_DIM)
        yield b"".join(parts_t)
        yield presence
        yield from (bytes(x) for x in parts_x)

    return n, body()


def _first_chunk_start(session: Session, from_seq: int) -> int:
    """first_seq of the chunk holding from_seq (chunks are contiguous)."""
    start = (
        FrameChunk.objects.filter(session=session, first_seq__lte=from_seq)
        .order_by("-first_seq")
        .values_list("first_seq", flat=True)
        .first()
    )
    return start if start is not None else from_seq
