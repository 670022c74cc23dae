"""Live inference: the promoted ONNX models scored on a session's stored frames.

Incremental: each pass reads only the chunks stored since the last pass (plus the
stress window's context), so a recording session costs a few chunks per pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.db import transaction
from django.utils import timezone

from collector.models import Session
from retraining.models import ModelKind, ModelVersion, SessionPrediction
from retraining.selectors import promoted_version, session_chunks_from

# Frames scored per block, bounding memory on long sessions.
BLOCK_FRAMES = 4096
_predictors: dict[tuple[int, str], object] = {}


def _predictor(version: ModelVersion):
    """Load each version's ONNX session once per worker process."""
    from ml.inference import EmotionPredictor, StressPredictor

    key = (version.pk, version.onnx.name)
    if key not in _predictors:
        cls = EmotionPredictor if version.kind == ModelKind.EMOTION else StressPredictor
        _predictors[key] = cls.from_path(Path(version.onnx.path))
    return _predictors[key]


def _emotion_points(predictor, block: list) -> tuple[list, list]:
    """One probability vector per chunk: the mean over its frames with a face."""
    feats = np.concatenate([c.features for c in block])
    face = np.concatenate([c.presence[:, 0] == 1 for c in block])
    if not face.any():
        return [], []
    probs = np.asarray(predictor.predict_proba(feats[face]), dtype=np.float64)
    chunk_of_frame = np.concatenate([np.full(len(c), i) for i, c in enumerate(block)])[face]
    sums = np.zeros((len(block), probs.shape[1]))
    np.add.at(sums, chunk_of_frame, probs)
    counts = np.bincount(chunk_of_frame, minlength=len(block))
    has = counts > 0
    means = sums[has] / counts[has, None]
    t_end = np.array([float(c.t_ms[-1]) for c in block])[has]
    return t_end.round(1).tolist(), means.round(4).tolist()


def _stress_points(predictor, frames: np.ndarray, t_ms: np.ndarray, first_new: int):
    end_index, score = predictor.trace(frames)
    end_index = np.asarray(end_index, dtype=np.int64)
    keep = end_index >= first_new
    return (
        t_ms[end_index[keep]].round(1).tolist(),
        np.asarray(score, dtype=np.float64)[keep].round(4).tolist(),
    )


def session_prediction_update(*, session: Session) -> int:
    """Score the frames stored since the last pass; returns how many frames were scored."""
    emotion_v = promoted_version(kind=ModelKind.EMOTION)
    stress_v = promoted_version(kind=ModelKind.STRESS)
    if emotion_v is None and stress_v is None:
        return 0
    pred, _ = SessionPrediction.objects.get_or_create(session=session)
    if (pred.emotion_version_id, pred.stress_version_id) != (
        emotion_v.pk if emotion_v else None,
        stress_v.pk if stress_v else None,
    ):
        # A new promoted model rescored from the start: traces never mix two models.
        pred.emotion_version, pred.stress_version = emotion_v, stress_v
        pred.next_seq = 0
        pred.t_ms, pred.emotion_probs, pred.stress_t_ms, pred.stress = [], [], [], []
    emotion = _predictor(emotion_v) if emotion_v else None
    stress = _predictor(stress_v) if stress_v else None
    context = int(getattr(stress, "window", 30)) - 1 if stress is not None else 0
    start = pred.next_seq
    scored = 0
    tail_x = np.empty((0, 0), np.float32)
    tail_t = np.empty(0, np.float64)
    block: list = []

    def flush() -> None:
        nonlocal tail_x, tail_t, block, scored
        if not block:
            return
        if emotion is not None:
            t, probs = _emotion_points(emotion, block)
            pred.t_ms += t
            pred.emotion_probs += probs
        x = np.concatenate([c.features for c in block])
        t_ms = np.concatenate([c.t_ms for c in block])
        if stress is not None:
            if tail_x.size:
                x, t_ms = np.concatenate([tail_x, x]), np.concatenate([tail_t, t_ms])
            first_new = len(tail_t)
            st, sv = _stress_points(stress, x, t_ms, first_new)
            pred.stress_t_ms += st
            pred.stress += sv
            keep = max(0, len(t_ms) - context)
            tail_x, tail_t = x[keep:], t_ms[keep:]
        scored += sum(len(c) for c in block)
        pred.next_seq = block[-1].first_seq + len(block[-1])
        block = []

    for chunk in session_chunks_from(session=session, seq=max(0, start - context)):
        if chunk.first_seq < start:
            tail_x = np.concatenate([tail_x.reshape(-1, chunk.features.shape[1]), chunk.features])
            tail_t = np.concatenate([tail_t, chunk.t_ms])
            continue
        block.append(chunk)
        if sum(len(c) for c in block) >= BLOCK_FRAMES:
            flush()
    flush()
    pred.updated_at = timezone.now()
    with transaction.atomic():
        pred.save()
    return scored
