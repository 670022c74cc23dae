"""Classification and score metrics in NumPy, matching scikit-learn's definitions."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true, y_pred, n_labels: int) -> np.ndarray:
    cm = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def emotion_metrics(y_true, y_pred, labels) -> dict:
    """labels: class names in index order. Zero-division yields 0 (as sklearn zero_division=0)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    cm = confusion_matrix(y_true, y_pred, len(labels))
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    precision = _safe_div(tp, cm.sum(axis=0).astype(np.float64))
    recall = _safe_div(tp, support.astype(np.float64))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return {
        "accuracy": float(tp.sum() / max(len(y_true), 1)),
        "macro_f1": float(f1.mean()),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(labels)
        },
        "confusion_matrix": cm.tolist(),
        "n_test": int(len(y_true)),
    }


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) as sklearn.metrics.roc_curve(drop_intermediate=False)."""
    y_true, scores = np.asarray(y_true, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], y_true[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    thresholds = np.r_[np.inf, s[last_of_tie]]
    return (
        _safe_div(fps, np.full_like(fps, fps[-1])),
        _safe_div(tps, np.full_like(tps, tps[-1])),
        thresholds,
    )


def roc_auc(y_true, scores) -> float:
    y_true = np.asarray(y_true)
    if len(np.unique(y_true)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.trapz(tpr, fpr))


def calibration(y_true, scores, n_bins: int = 10) -> dict:
    """Uniform-bin reliability curve (as sklearn.calibration.calibration_curve, empty bins dropped)
    and expected calibration error weighted by bin counts."""
    y_true, scores = np.asarray(y_true, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], scores, side="right")
    counts = np.bincount(bin_ids, minlength=n_bins)
    sum_pred = np.bincount(bin_ids, weights=scores, minlength=n_bins)
    sum_true = np.bincount(bin_ids, weights=y_true, minlength=n_bins)
    keep = counts > 0
    mean_pred, frac_pos = sum_pred[keep] / counts[keep], sum_true[keep] / counts[keep]
    ece = float(np.sum(counts[keep] / max(len(scores), 1) * np.abs(mean_pred - frac_pos)))
    return {
        "bin_centers": ((edges[:-1] + edges[1:]) / 2)[keep].tolist(),
        "mean_predicted": mean_pred.tolist(),
        "fraction_positive": frac_pos.tolist(),
        "counts": counts[keep].astype(int).tolist(),
        "ece": ece,
    }


def stress_metrics(y_true_binary, scores, threshold: float = 0.5) -> dict:
    y_true = np.asarray(y_true_binary).astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    y_pred = (scores >= threshold).astype(np.int64)
    tp = float(np.sum((y_pred == 1) & (y_true == 1)))
    precision = tp / max(y_pred.sum(), 1)
    recall = tp / max(y_true.sum(), 1)
    fpr, tpr, _ = (
        roc_curve(y_true, scores)
        if len(np.unique(y_true)) == 2
        else (np.array([]), np.array([]), None)
    )
    cal = calibration(y_true, scores)
    auc = roc_auc(y_true, scores)  # undefined (None) when the test split has one class
    return {
        "accuracy": float(np.mean(y_pred == y_true)) if len(y_true) else 0.0,
        "auc": None if np.isnan(auc) else auc,
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "ece": cal.pop("ece"),
        "calibration": cal,
        "f1": float(2 * precision * recall / (precision + recall))
        if precision + recall > 0
        else 0.0,
        "n_test": int(len(y_true)),
    }
