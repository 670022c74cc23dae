"""Reads for the registry, the dashboard and live predictions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from collector.models import FrameChunk, Session, SessionStatus
from collector.selectors.frames import FrameArrays, chunk_arrays
from ml.features import EMOTIONS, STRESS_LEVELS
from retraining.models import ModelVersion, SessionPrediction, TrainingRun

# Points returned per trace: enough for a chart, small enough for a poll.
MAX_POINTS = 600


def promoted_version(*, kind: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(kind=kind, promoted=True).first()


def session_chunks_from(*, session: Session, seq: int) -> Iterator[FrameArrays]:
    """Stored chunks holding frames at or after `seq`, in order (bounded memory)."""
    # A chunk holds at most 64 frames, so only one starting before `seq` can reach it.
    qs = FrameChunk.objects.filter(session_id=session.pk, first_seq__gt=seq - 64)
    qs = qs.order_by("first_seq")
    for chunk in qs.iterator(chunk_size=64):
        if chunk.first_seq + chunk.count > seq:
            yield chunk_arrays(chunk)


def sessions_needing_inference(*, ended_within: timedelta = timedelta(days=1)) -> list[int]:
    """Recording sessions, and recently ended ones whose frames are not all scored yet."""
    if not ModelVersion.objects.filter(promoted=True).exists():
        return []
    recent = timezone.now() - ended_within
    sessions = Session.objects.filter(
        Q(status=SessionStatus.ACTIVE) | Q(status=SessionStatus.ENDED, ended_at__gte=recent),
        participant__withdrawn_at__isnull=True,
        frame_count__gt=0,
    ).filter(Q(prediction__isnull=True) | Q(prediction__next_seq__lt=F("frame_count")))
    return list(sessions.values_list("pk", flat=True))


def _every(values: list, step: int) -> list:
    return values[::step] if step > 1 else values


def session_predictions(*, session: Session) -> dict | None:
    """The session's live model outputs, downsampled; None before any pass has run."""
    pred = (
        SessionPrediction.objects.select_related("emotion_version", "stress_version")
        .filter(session=session)
        .first()
    )
    if pred is None or not (pred.t_ms or pred.stress):
        return None
    step = max(1, -(-len(pred.t_ms) // MAX_POINTS))
    stress_step = max(1, -(-len(pred.stress) // MAX_POINTS))
    current: dict = {}
    if pred.emotion_probs:
        last = pred.emotion_probs[-1]
        best = max(range(len(last)), key=last.__getitem__)
        current.update(emotion=EMOTIONS[best], emotion_prob=last[best])
    if pred.stress:
        current["stress"] = pred.stress[-1]
    return {
        "model_versions": {
            "emotion": pred.emotion_version.version if pred.emotion_version else None,
            "stress": pred.stress_version.version if pred.stress_version else None,
        },
        "emotions": list(EMOTIONS),
        "t_ms": _every(pred.t_ms, step),
        "emotion_probs": _every(pred.emotion_probs, step),
        "stress_t_ms": _every(pred.stress_t_ms, stress_step),
        "stress": _every(pred.stress, stress_step),
        "frames_scored": pred.next_seq,
        "current": current,
        "updated_at": pred.updated_at.isoformat(),
    }


def model_versions_overview() -> list[ModelVersion]:
    return list(ModelVersion.objects.select_related("source_run").order_by("kind", "version"))


def version_dashboard_data(*, version: ModelVersion) -> dict:
    """Everything the per-version metrics page charts, as JSON-able data."""
    history = [
        {
            "version": v.version,
            "promoted": v.promoted,
            "accuracy": v.metrics.get("accuracy"),
            "key": v.metrics.get(v.key_metric),
        }
        for v in ModelVersion.objects.filter(kind=version.kind).order_by("version")
    ]
    run: TrainingRun = version.source_run
    return {
        "kind": version.kind,
        "version": version.version,
        "key_metric": version.key_metric,
        "class_names": version.class_names,
        "metrics": version.metrics,
        "comparison": version.comparison,
        "curves": run.curves,
        "history": history,
        "targets": TARGETS[version.kind],
    }


# The spec's performance targets, drawn as reference lines.
TARGETS = {
    "emotion": {"accuracy": 0.65, "per_class_f1": 0.60},
    "stress": {"accuracy": 0.70, "auc": 0.75},
}


def _runs(t_ms: list[float], labels: list[str], scores: list[float]) -> list[dict]:
    """Consecutive points with one label merged into [start_ms, end_ms] segments (a point
    stands for the time since the previous one), with the mean score as confidence."""
    segments: list[dict] = []
    sums: list[tuple[float, int]] = []
    previous_t = 0.0
    for t, label, score in zip(t_ms, labels, scores, strict=True):
        if segments and segments[-1]["label"] == label:
            segments[-1]["end_ms"] = t
            total, n = sums[-1]
            sums[-1] = (total + score, n + 1)
        else:
            segments.append({"start_ms": previous_t, "end_ms": t, "label": label})
            sums.append((score, 1))
        previous_t = t
    for seg, (total, n) in zip(segments, sums, strict=True):
        seg["confidence"] = round(total / n, 3)
    return segments


def session_prelabels(*, session: Session) -> dict | None:
    """Model suggestions for the labeling player, as segments in the gold-label vocabulary:
    emotion = the most probable class, stress = the score's level (quartiles of [0, 1])."""
    pred = SessionPrediction.objects.filter(session=session).first()
    if pred is None:
        return None
    best = [max(range(len(p)), key=p.__getitem__) for p in pred.emotion_probs]
    levels = [
        STRESS_LEVELS[min(len(STRESS_LEVELS) - 1, int(s * len(STRESS_LEVELS)))] for s in pred.stress
    ]
    return {
        "emotion": _runs(
            pred.t_ms,
            [EMOTIONS[i] for i in best],
            [p[i] for p, i in zip(pred.emotion_probs, best, strict=True)],
        ),
        "stress": _runs(pred.stress_t_ms, levels, pred.stress),
        "model_versions": {
            "emotion": pred.emotion_version.version if pred.emotion_version else None,
            "stress": pred.stress_version.version if pred.stress_version else None,
        },
    }
