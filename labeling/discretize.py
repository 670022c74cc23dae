"""Frame-level discretisation of time segments (no Django).

Segments are half-open [start_ms, end_ms) in the session's frame clock. A frame gets
the label of the segment covering its timestamp; where one annotator's segments
overlap, the later one in the given order wins.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def label_track(t_ms: np.ndarray, segments: Iterable[tuple[float, float, int]]) -> np.ndarray:
    """(n,) float array: the label index at each frame time, NaN where unlabeled."""
    out = np.full(t_ms.shape[0], np.nan)
    for start, end, code in segments:
        lo, hi = np.searchsorted(t_ms, [start, end], side="left")
        out[lo:hi] = code
    return out


def runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal runs of equal, defined codes as (first_index, last_index, code)."""
    out: list[tuple[int, int, int]] = []
    if codes.size == 0:
        return out
    defined = ~np.isnan(codes)
    filled = np.where(defined, codes, -1.0)
    edges = np.flatnonzero(np.diff(filled) != 0) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges - 1, [codes.size - 1]])
    for s, e in zip(starts, ends, strict=True):
        if filled[s] >= 0:
            out.append((int(s), int(e), int(filled[s])))
    return out


def run_span_ms(t_ms: np.ndarray, first: int, last: int) -> tuple[float, float]:
    """A run's [start, end) in ms: to the next frame, or half a frame past the last one."""
    if last + 1 < t_ms.size:
        return float(t_ms[first]), float(t_ms[last + 1])
    step = float(np.median(np.diff(t_ms))) if t_ms.size > 1 else 33.3
    return float(t_ms[first]), float(t_ms[last] + step / 2)


def majority(matrix: np.ndarray, voters: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: the label more than half of `voters` chose (NaN if none), that label's
    vote share, and whether the item is disputed (labels given but no majority)."""
    n_items = matrix.shape[1]
    if matrix.shape[0] == 0 or n_items == 0:
        empty = np.full(n_items, np.nan)
        return empty, np.zeros(n_items), np.zeros(n_items, bool)
    n_codes = int(np.nanmax(np.where(np.isnan(matrix), -1, matrix))) + 1
    counts = np.zeros((n_items, max(n_codes, 1)), dtype=np.int64)
    for row in matrix:
        rated = ~np.isnan(row)
        np.add.at(counts, (np.flatnonzero(rated), row[rated].astype(int)), 1)
    best = counts.argmax(axis=1)
    top = counts[np.arange(n_items), best]
    winner = np.where(top * 2 > voters, best.astype(float), np.nan)
    share = top / max(voters, 1)
    disputed = (counts.sum(axis=1) > 0) & np.isnan(winner)
    return winner, share, disputed


def spans(t_ms: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """[start, end) spans of consecutive True items."""
    codes = np.where(mask, 1.0, np.nan)
    return [run_span_ms(t_ms, a, b) for a, b, _ in runs(codes)]


def as_codes(labels: Sequence[str], chosen: Iterable[str]) -> list[int]:
    index = {label: i for i, label in enumerate(labels)}
    return [index[c] for c in chosen]
