"""Synthetic landmark datasets (named synthetic everywhere) with learnable class structure.

A face-like base (points on an ellipse plus pose points below) gets a per-subject offset and
scale, a class-dependent deformation of fixed random face regions, and per-frame noise.
"""

from __future__ import annotations

import numpy as np

from ml.dataset import LandmarkDataset
from ml.features import EMOTIONS, FACE_POINTS, POSE_POINTS


def _base_frame(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    angle = np.linspace(0, 2 * np.pi, FACE_POINTS, endpoint=False)
    radius = 0.15 * (0.4 + 0.6 * rng.random(FACE_POINTS))
    face = np.stack(
        [
            0.5 + radius * np.cos(angle),
            0.4 + 1.2 * radius * np.sin(angle),
            0.02 * rng.standard_normal(FACE_POINTS),
        ],
        axis=1,
    )
    pose = np.stack(
        [
            0.5 + 0.3 * rng.standard_normal(POSE_POINTS) * 0.5,
            0.6 + 0.4 * rng.random(POSE_POINTS),
            0.05 * rng.standard_normal(POSE_POINTS),
            np.full(POSE_POINTS, 0.9),
        ],
        axis=1,
    )
    return face, pose


def _frames(face: np.ndarray, pose: np.ndarray) -> np.ndarray:
    n = face.shape[0]
    return np.concatenate([face.reshape(n, -1), pose.reshape(n, -1)], axis=1).astype(np.float32)


def synthetic_emotion_dataset(
    n_subjects: int = 20,
    per_subject: int = 35,
    seed: int = 0,
    effect: float = 0.02,
    noise: float = 0.004,
) -> LandmarkDataset:
    rng = np.random.default_rng(seed)
    face0, pose0 = _base_frame(np.random.default_rng(1234))
    n_classes = len(EMOTIONS)
    directions = rng.standard_normal((n_classes, FACE_POINTS, 3)) * (
        rng.random((n_classes, FACE_POINTS, 1)) < 0.15
    )
    X, y, groups = [], [], []
    for s in range(n_subjects):
        offset = rng.normal(0, 0.03, 3) * np.array([1, 1, 0.2])
        scale = rng.uniform(0.85, 1.15)
        labels = np.arange(per_subject) % n_classes
        face = (face0 - 0.5) * scale + 0.5 + offset + effect * directions[labels]
        face = face + noise * rng.standard_normal(face.shape)
        pose = np.repeat(pose0[None], per_subject, axis=0) + 0.01 * rng.standard_normal(
            (per_subject, POSE_POINTS, 4)
        )
        pose[..., 3] = 0.9
        X.append(_frames(face, pose))
        y.append(labels)
        groups += [f"synthetic-s{s:03d}"] * per_subject
    n = len(groups)
    return LandmarkDataset(
        np.concatenate(X),
        np.concatenate(y).astype(np.int64),
        np.array(groups),
        np.zeros(n),
        np.full(n, "synthetic"),
    )


def synthetic_stress_dataset(
    n_subjects: int = 12,
    sessions_per_subject: int = 2,
    frames_per_segment: int = 60,
    segments: int = 4,
    seed: int = 0,
    effect: float = 0.01,
    noise: float = 0.004,
) -> LandmarkDataset:
    """Sessions alternate calm and stressed segments; stressed frames carry a jittery brow/mouth
    motion (a temporal signature) plus a small static shift, labels are binary stress scores."""
    rng = np.random.default_rng(seed)
    face0, pose0 = _base_frame(np.random.default_rng(1234))
    region = rng.random(FACE_POINTS) < 0.2
    direction = rng.standard_normal((FACE_POINTS, 3)) * region[:, None]
    X, stress, groups, sessions, t = [], [], [], [], []
    for s in range(n_subjects):
        offset = rng.normal(0, 0.03, 3) * np.array([1, 1, 0.2])
        for k in range(sessions_per_subject):
            for seg in range(segments):
                stressed = (seg + k + s) % 2
                n = frames_per_segment
                phase = np.sin(np.arange(n) * rng.uniform(0.8, 1.6))[:, None, None]
                face = face0 + offset + stressed * effect * (0.5 + phase) * direction
                face = face + noise * rng.standard_normal((n, FACE_POINTS, 3))
                pose = np.repeat(pose0[None], n, axis=0) + 0.01 * rng.standard_normal(
                    (n, POSE_POINTS, 4)
                )
                pose[..., 3] = 0.9
                X.append(_frames(face, pose))
                stress.append(np.full(n, float(stressed), dtype=np.float32))
                groups += [f"synthetic-p{s:03d}"] * n
                sessions += [f"synthetic-p{s:03d}-s{k}"] * n
            t.append(np.arange(segments * frames_per_segment) * 100.0)
    n = len(groups)
    return LandmarkDataset(
        np.concatenate(X),
        np.full(n, -1, dtype=np.int64),
        np.array(groups),
        np.concatenate(t),
        np.full(n, "synthetic"),
        {"stress": np.concatenate(stress), "session": np.array(sessions)},
    )
