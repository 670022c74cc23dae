"""Scoring a model file on a run's subject-grouped held-out split.

The candidate and the promoted model are scored by this same code on the same
rows, so the promotion decision compares like with like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from ml.dataset import LandmarkDataset
from ml.inference import EmotionPredictor, StressPredictor

KEY_METRIC = {"emotion": "macro_f1", "stress": "auc"}


def held_out_mask(ds: LandmarkDataset, split: dict) -> np.ndarray:
    return np.isin(ds.groups, np.asarray(list(split.get("test", [])), dtype=ds.groups.dtype))


def emotion_macro_f1(model_path: Path, ds: LandmarkDataset, mask: np.ndarray) -> float | None:
    rows = mask & (ds.y >= 0)
    if not rows.any():
        return None
    probs = EmotionPredictor.from_path(model_path).predict_proba(ds.X[rows])
    y_true = ds.y[rows]
    return float(
        f1_score(
            y_true, probs.argmax(axis=1), labels=np.unique(y_true), average="macro", zero_division=0
        )
    )


def stress_auc(model_path: Path, ds: LandmarkDataset, mask: np.ndarray) -> float | None:
    predictor = StressPredictor.from_path(model_path)
    stress, sequences = ds.extras["stress"], ds.extras["session"]
    targets, scores = [], []
    for seq in np.unique(sequences[mask]):
        rows = np.flatnonzero(mask & (sequences == seq))
        rows = rows[np.argsort(ds.t[rows], kind="stable")]
        end_index, score = predictor.trace(ds.X[rows])
        if len(end_index):
            targets.append(stress[rows][np.asarray(end_index, dtype=np.int64)] >= 0.5)
            scores.append(np.asarray(score, dtype=np.float64))
    if not targets:
        return None
    y_true, y_score = np.concatenate(targets), np.concatenate(scores)
    finite = np.isfinite(y_score)
    if len(np.unique(y_true[finite])) < 2:
        return None
    return float(roc_auc_score(y_true[finite], y_score[finite]))


def held_out_score(kind: str, model_path: Path, ds: LandmarkDataset, split: dict) -> float | None:
    """Macro-F1 (emotion) or AUC (stress) on the split's test subjects; None if undefined."""
    mask = held_out_mask(ds, split)
    if kind == "emotion":
        return emotion_macro_f1(model_path, ds, mask)
    return stress_auc(model_path, ds, mask)
