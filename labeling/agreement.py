"""Inter-annotator agreement on a reliability matrix (no Django).

A reliability matrix has one row per annotator and one column per item (here: a
frame of a session); cells hold a label index, NaN where that annotator gave no
label. Cohen's kappa comes from scikit-learn and Krippendorff's alpha from the
`krippendorff` package; Fleiss' kappa is the textbook formula (Fleiss 1971),
generalised to items rated by different numbers of annotators.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score


@dataclass(frozen=True)
class Figure:
    """An agreement figure and the number of items behind it (None when undefined)."""

    value: float | None
    items: int


@dataclass(frozen=True)
class PairFigure:
    first: int  # row index of the first annotator
    second: int
    kappa: Figure


def _defined(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def cohen_pairs(matrix: np.ndarray) -> list[PairFigure]:
    """Cohen's kappa for every pair of annotators, on the items both labeled."""
    out = []
    for a, b in combinations(range(matrix.shape[0]), 2):
        both = ~np.isnan(matrix[a]) & ~np.isnan(matrix[b])
        n = int(both.sum())
        if n == 0:
            out.append(PairFigure(a, b, Figure(None, 0)))
            continue
        x, y = matrix[a, both].astype(int), matrix[b, both].astype(int)
        if np.unique(np.concatenate([x, y])).size == 1:
            # One category only: observed = expected agreement, kappa is undefined.
            out.append(PairFigure(a, b, Figure(None, n)))
            continue
        out.append(PairFigure(a, b, Figure(_defined(cohen_kappa_score(x, y)), n)))
    return out


def category_counts(matrix: np.ndarray, n_categories: int) -> np.ndarray:
    """(items, categories) counts of how many annotators chose each category."""
    counts = np.zeros((matrix.shape[1], n_categories), dtype=np.int64)
    for row in matrix:
        rated = ~np.isnan(row)
        np.add.at(counts, (np.nonzero(rated)[0], row[rated].astype(int)), 1)
    return counts


def fleiss_kappa(counts: np.ndarray) -> Figure:
    """Fleiss' kappa from an (items, categories) count table; items rated by fewer than
    two annotators are left out. With a constant number of raters per item this is
    exactly Fleiss (1971)."""
    counts = np.asarray(counts, dtype=np.float64)
    raters = counts.sum(axis=1)
    counts, raters = counts[raters >= 2], raters[raters >= 2]
    n_items = int(counts.shape[0])
    if n_items == 0:
        return Figure(None, 0)
    per_item = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar = per_item.mean()
    p_j = counts.sum(axis=0) / raters.sum()
    p_e = float((p_j**2).sum())
    if np.isclose(p_e, 1.0):
        return Figure(None, n_items)
    return Figure(_defined((p_bar - p_e) / (1.0 - p_e)), n_items)


def krippendorff_alpha(matrix: np.ndarray, *, level: str) -> Figure:
    """Krippendorff's alpha ("nominal" or "ordinal"); items need two or more labels."""
    pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
    n = int(pairable.sum())
    data = matrix[:, pairable]
    if n == 0 or np.unique(data[~np.isnan(data)]).size < 2:
        return Figure(None, n)
    value = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    return Figure(_defined(value), n)
