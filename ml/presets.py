"""Preprocessing shared by training, export and inference: per-feature standardization and
training-only augmentation (mirror flip and Gaussian noise)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.features import FACE_DIM, FACE_POINTS, POSE_POINTS

# Constant features (e.g. absent pose visibility) would divide by ~0; this floor keeps them at 0.
STD_FLOOR = 1e-6


@dataclass
class Normalization:
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Normalization:
        X = np.asarray(X, dtype=np.float64).reshape(-1, X.shape[-1])
        std = X.std(axis=0)
        return cls(
            X.mean(axis=0).astype(np.float32),
            np.where(std < STD_FLOOR, 1.0, std).astype(np.float32),
        )

    def apply(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Normalization:
        return cls(np.asarray(d["mean"], dtype=np.float32), np.asarray(d["std"], dtype=np.float32))


def _mirror_permutation(n_points: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    perm = np.arange(n_points)
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


POSE_MIRROR_PAIRS = [
    (1, 4),
    (2, 5),
    (3, 6),
    (7, 8),
    (9, 10),
    (11, 12),
    (13, 14),
    (15, 16),
    (17, 18),
    (19, 20),
    (21, 22),
    (23, 24),
    (25, 26),
    (27, 28),
    (29, 30),
    (31, 32),
]

_FLIP_INDEX: np.ndarray | None = None


def flip_index() -> np.ndarray:
    """Feature permutation that swaps left/right landmarks (used with x -> 1 - x)."""
    global _FLIP_INDEX
    if _FLIP_INDEX is None:
        # The python package ships no canonical face-mesh geometry to derive the 468-point
        # left/right pairing from, so face points keep their index and only x is mirrored.
        face = np.arange(FACE_POINTS)
        pose = _mirror_permutation(POSE_POINTS, POSE_MIRROR_PAIRS)
        face_idx = (face[:, None] * 3 + np.arange(3)).reshape(-1)
        pose_idx = FACE_DIM + (pose[:, None] * 4 + np.arange(4)).reshape(-1)
        _FLIP_INDEX = np.concatenate([face_idx, pose_idx])
    return _FLIP_INDEX


X_COLUMNS = np.concatenate([np.arange(0, FACE_DIM, 3), FACE_DIM + np.arange(0, POSE_POINTS * 4, 4)])


def horizontal_flip(X: np.ndarray) -> np.ndarray:
    """Mirror raw landmark features (normalized image coordinates): x -> 1 - x, swap left/right."""
    out = np.asarray(X)[..., flip_index()].copy()
    present = out[..., X_COLUMNS] != 0
    out[..., X_COLUMNS] = np.where(present, 1.0 - out[..., X_COLUMNS], 0.0)
    return out


@dataclass
class TrainAugment:
    """Training-only augmentation on raw features: random horizontal flip and Gaussian noise."""

    flip_p: float = 0.5
    noise_std: float = 0.002
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """X is (b, 1536) or (b, T, 1536); a whole window is flipped together."""
        X = np.array(X, dtype=np.float32, copy=True)
        flip = self.rng.random(X.shape[0]) < self.flip_p
        if flip.any():
            X[flip] = horizontal_flip(X[flip])
        if self.noise_std > 0:
            present = X != 0
            X += (self.rng.standard_normal(X.shape) * self.noise_std).astype(np.float32) * present
        return X
