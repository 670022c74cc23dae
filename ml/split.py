"""Subject-grouped train/val/test split: no group appears in two splits."""

from __future__ import annotations

import numpy as np


def grouped_split(groups, y=None, fractions=(0.7, 0.15, 0.15), seed: int = 0):
    """Assign whole groups to splits, greedily balancing the per-class counts (stratified)
    when labels are given. Returns (train_idx, val_idx, test_idx), deterministic for a seed."""
    groups = np.asarray(groups).astype(str)
    fractions = np.asarray(fractions, dtype=np.float64)
    fractions = fractions / fractions.sum()
    uniq, inverse = np.unique(groups, return_inverse=True)
    if len(uniq) < 3:
        raise ValueError(f"a grouped 3-way split needs at least 3 groups, got {len(uniq)}")
    rng = np.random.default_rng(seed)
    if y is None:
        y = np.zeros(len(groups), dtype=np.int64)
    y = np.asarray(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.zeros((len(uniq), len(classes)))
    np.add.at(counts, (inverse, y_idx), 1)
    total = counts.sum(axis=0)
    order = rng.permutation(len(uniq))
    order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
    assigned = np.zeros((3, len(classes)))
    split_of_group = np.empty(len(uniq), dtype=np.int64)
    # Seed each split with one group so none is empty, then place groups where they most
    # reduce the shortfall against the target per-class counts.
    for k, g in enumerate(order):
        if k < 3:
            s = [1, 2, 0][k]
        else:
            deficit = fractions[:, None] * total[None, :] - assigned
            gain = (np.minimum(deficit, counts[g][None, :]) / np.maximum(total, 1)).sum(axis=1)
            s = int(np.argmax(gain + 1e-9 * fractions))
        split_of_group[g] = s
        assigned[s] += counts[g]
    split = split_of_group[inverse]
    return tuple(np.flatnonzero(split == s) for s in range(3))


def split_groups(groups, idx_triplet) -> dict[str, list[str]]:
    groups = np.asarray(groups).astype(str)
    return {
        name: sorted(set(groups[idx].tolist()))
        for name, idx in zip(("train", "val", "test"), idx_triplet, strict=True)
    }
