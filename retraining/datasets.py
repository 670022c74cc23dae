"""Training sets assembled from the database (plus uploaded NPZ datasets).

Frames are streamed chunk by chunk and labeled with vectorised interval lookups
(searchsorted), never a Python loop per frame. Withdrawn participants' sessions
are never read.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from collector.models import Session, SessionEvent, Study
from collector.selectors.frames import session_frame_chunks
from ml.dataset import LandmarkDataset, load_npz
from ml.features import EMOTIONS, STRESS_LEVELS, stress_level_score
from retraining.models import DatasetUpload, StressLabelRule, StressRuleMode

Heartbeat = Callable[[], None]


class DatasetEmpty(Exception):
    """No labeled frames: nothing to train on."""


@dataclass
class AssembledDataset:
    dataset: LandmarkDataset
    sha256: str
    counts: dict


@dataclass
class Intervals:
    """Sorted, labeled time intervals of one session: [start_ms, end_ms] -> value."""

    starts: np.ndarray
    ends: np.ndarray
    values: np.ndarray

    @classmethod
    def build(cls, rows: Iterable[tuple[float, float, float]]) -> Intervals:
        ordered = sorted(rows)
        arr = np.asarray(ordered, dtype=np.float64).reshape(-1, 3)
        return cls(starts=arr[:, 0], ends=arr[:, 1], values=arr[:, 2])

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def lookup(self, t_ms: np.ndarray) -> np.ndarray:
        """The value of the interval holding each timestamp, NaN outside all intervals."""
        out = np.full(t_ms.shape, np.nan)
        if not len(self):
            return out
        idx = np.searchsorted(self.starts, t_ms, side="right") - 1
        safe = np.clip(idx, 0, None)
        inside = (idx >= 0) & (t_ms <= self.ends[safe])
        out[inside] = self.values[safe[inside]]
        return out


@dataclass
class _Collector:
    """Accumulates labeled frames, one slice per chunk."""

    X: list = field(default_factory=list)
    y: list = field(default_factory=list)
    stress: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    t: list = field(default_factory=list)
    source: list = field(default_factory=list)
    session: list = field(default_factory=list)

    def add(self, *, X, y, stress, t, group: str, source: str, session) -> None:
        n = int(t.shape[0])
        if not n:
            return
        self.X.append(np.ascontiguousarray(X, dtype=np.float32))
        self.y.append(np.asarray(y, dtype=np.int64))
        self.stress.append(np.asarray(stress, dtype=np.float32))
        self.t.append(np.asarray(t, dtype=np.float64))
        self.groups.append(np.full(n, group, dtype=object))
        self.source.append(np.full(n, source, dtype=object))
        self.session.append(
            np.asarray(session, dtype=object)
            if np.ndim(session)
            else np.full(n, session, dtype=object)
        )

    def add_upload(self, ds: LandmarkDataset, keep: np.ndarray) -> None:
        n = int(keep.sum())
        if not n:
            return
        stress = ds.extras.get("stress")
        session = ds.extras.get("session")
        self.add(
            X=ds.X[keep],
            y=ds.y[keep],
            stress=stress[keep] if stress is not None else np.full(n, np.nan, np.float32),
            t=ds.t[keep],
            group="",
            source="",
            session=(session if session is not None else ds.groups)[keep].astype(object),
        )
        self.groups[-1] = ds.groups[keep].astype(object)
        self.source[-1] = ds.source[keep].astype(object)

    def build(self) -> LandmarkDataset:
        if not self.X:
            raise DatasetEmpty("no labeled frames found (gold segments, stress rules, uploads)")

        def strings(parts: list) -> np.ndarray:
            return np.concatenate(parts).astype(str)

        return LandmarkDataset(
            X=np.concatenate(self.X),
            y=np.concatenate(self.y),
            groups=strings(self.groups),
            t=np.concatenate(self.t),
            source=strings(self.source),
            extras={"stress": np.concatenate(self.stress), "session": strings(self.session)},
        )


def eligible_sessions(*, study: Study) -> Iterable[Session]:
    """Sessions whose participant has not withdrawn (withdrawal also deletes data later)."""
    return Session.objects.filter(
        participant__study=study, participant__withdrawn_at__isnull=True
    ).select_related("participant")


def _gold_intervals(*, study: Study, kind: str) -> dict[int, Intervals]:
    from labeling.selectors import gold_segments

    if kind == "emotion":

        def code(label: str) -> float:
            return float(EMOTIONS.index(label))

        known = set(EMOTIONS)
    else:
        code = stress_level_score
        known = set(STRESS_LEVELS)
    rows: dict[int, list] = {}
    for seg in gold_segments(study=study, kind=kind):
        if seg.label in known and seg.end_ms > seg.start_ms:
            rows.setdefault(seg.session_id, []).append((seg.start_ms, seg.end_ms, code(seg.label)))
    return {sid: Intervals.build(r) for sid, r in rows.items()}


def _phase_name(event: SessionEvent) -> str:
    data = event.data or {}
    return str(data.get("phase") or data.get("name") or "")


def phase_intervals(events: Iterable[SessionEvent], labels: dict[str, float]) -> Intervals:
    """Phase start/end events mapped through the study's phase -> stress label table."""
    rows, open_at = [], {}
    for ev in sorted(events, key=lambda e: e.t_ms):
        name = _phase_name(ev)
        if ev.name.endswith("phase_start"):
            open_at[name] = ev.t_ms
        elif ev.name.endswith("phase_end") and name in open_at:
            start = open_at.pop(name)
            if name in labels and ev.t_ms > start:
                rows.append((start, ev.t_ms, float(labels[name])))
    return Intervals.build(rows)


def _dotted(data: dict, path: str):
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def self_report_intervals(
    events: Iterable[SessionEvent], *, field_name: str, threshold: float
) -> Intervals:
    """Each rating labels the frames since the previous rating: stressed if >= threshold."""
    rows, previous = [], 0.0
    for ev in sorted(events, key=lambda e: e.t_ms):
        value = _dotted(ev.data or {}, field_name)
        if isinstance(value, int | float) and ev.t_ms > previous:
            rows.append((previous, ev.t_ms, 1.0 if value >= threshold else 0.0))
            previous = ev.t_ms
    return Intervals.build(rows)


def _stress_intervals(*, study: Study, sessions: list[Session]) -> dict[int, Intervals]:
    rule = StressLabelRule.objects.filter(study=study).first()
    if rule is None or rule.mode == StressRuleMode.GOLD:
        return _gold_intervals(study=study, kind="stress")
    ids = [s.pk for s in sessions]
    out = {}
    if rule.mode == StressRuleMode.PHASE:
        events = SessionEvent.objects.filter(session_id__in=ids, name__endswith="phase_start") | (
            SessionEvent.objects.filter(session_id__in=ids, name__endswith="phase_end")
        )
        by_session: dict[int, list] = {}
        for ev in events:
            by_session.setdefault(ev.session_id, []).append(ev)
        for sid, evs in by_session.items():
            out[sid] = phase_intervals(evs, rule.phase_labels)
    else:
        ratings = SessionEvent.objects.filter(session_id__in=ids, name=rule.self_report_event)
        by_session = {}
        for ev in ratings:
            by_session.setdefault(ev.session_id, []).append(ev)
        for sid, evs in by_session.items():
            out[sid] = self_report_intervals(
                evs, field_name=rule.self_report_field, threshold=rule.threshold
            )
    return {sid: iv for sid, iv in out.items() if len(iv)}


def _collect_session(
    acc: _Collector, *, session: Session, intervals: Intervals, kind: str, source: str
) -> None:
    # Stress windows never span an unlabeled gap: each labeled run of frames gets its
    # own sequence id, counted across chunk boundaries.
    run_no, prev_kept = 0, False
    for chunk in session_frame_chunks(session=session):
        values = intervals.lookup(chunk.t_ms)
        keep = ~np.isnan(values)
        if kind == "emotion":
            keep &= chunk.presence[:, 0] == 1
        else:
            run_start = keep & ~np.concatenate([[prev_kept], keep[:-1]])
            run_ids = run_no + np.cumsum(run_start)
            run_no, prev_kept = int(run_ids[-1]), bool(keep[-1])
        if not keep.any():
            continue
        n = int(keep.sum())
        if kind == "emotion":
            y, stress = values[keep].astype(np.int64), np.full(n, np.nan, np.float32)
            session_ids: object = str(session.uuid)
        else:
            y, stress = np.full(n, -1, np.int64), values[keep].astype(np.float32)
            session_ids = np.char.add(f"{session.uuid}:", run_ids[keep].astype(str))
        acc.add(
            X=chunk.features[keep],
            y=y,
            stress=stress,
            t=chunk.t_ms[keep],
            group=session.participant.code,
            source=source,
            session=session_ids,
        )


def _uploads(acc: _Collector, *, kind: str) -> int:
    rows = 0
    for upload in DatasetUpload.objects.filter(active=True).order_by("pk"):
        ds = load_npz(upload.file.path)
        if kind == "emotion":
            keep = ds.y >= 0
        else:
            stress = ds.extras.get("stress")
            keep = np.isfinite(stress) if stress is not None else np.zeros(len(ds.y), bool)
        acc.add_upload(ds, keep)
        rows += int(keep.sum())
    return rows


def dataset_sha256(ds: LandmarkDataset) -> str:
    h = hashlib.sha256()
    for arr in (ds.X, ds.y, ds.t, ds.extras["stress"]):
        # A byte view, not a copy: X alone is ~6 KB per frame.
        h.update(memoryview(np.ascontiguousarray(arr)).cast("B"))
    for arr in (ds.groups, ds.source, ds.extras["session"]):
        h.update("\x1f".join(arr.tolist()).encode())
    return h.hexdigest()


def training_set_assemble(*, kind: str, heartbeat: Heartbeat | None = None) -> AssembledDataset:
    """The emotion or stress training set from every study, plus active uploads."""
    acc = _Collector()
    sessions_used = 0
    for study in Study.objects.order_by("pk"):
        sessions = list(eligible_sessions(study=study))
        if kind == "emotion":
            intervals = _gold_intervals(study=study, kind="emotion")
        else:
            intervals = _stress_intervals(study=study, sessions=sessions)
        for session in sessions:
            if session.pk not in intervals:
                continue
            _collect_session(
                acc,
                session=session,
                intervals=intervals[session.pk],
                kind=kind,
                source=f"stresslab:{study.slug}",
            )
            sessions_used += 1
            if heartbeat is not None:
                heartbeat()
    upload_rows = _uploads(acc, kind=kind)
    ds = acc.build()
    counts = {
        "frames": int(ds.X.shape[0]),
        "sessions": sessions_used,
        "subjects": int(np.unique(ds.groups).shape[0]),
        "upload_rows": upload_rows,
        "sources": dict(Counter(ds.source.tolist())),
    }
    if kind == "emotion":
        per = np.bincount(ds.y[ds.y >= 0], minlength=len(EMOTIONS))
        counts["per_class"] = {name: int(c) for name, c in zip(EMOTIONS, per, strict=True)}
    else:
        stress = ds.extras["stress"]
        counts["stressed_frames"] = int((stress >= 0.5).sum())
        counts["sequences"] = int(np.unique(ds.extras["session"]).shape[0])
    return AssembledDataset(dataset=ds, sha256=dataset_sha256(ds), counts=counts)
