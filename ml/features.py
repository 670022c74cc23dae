"""Per-frame feature layout and class order shared by capture, labeling, training and inference.

A frame is face 468 landmarks (x, y, z) followed by pose 33 landmarks
(x, y, z, visibility): 1404 + 132 = 1536 float32 values.
"""
from __future__ import annotations

FACE_POINTS = 468
POSE_POINTS = 33
FACE_DIM = FACE_POINTS * 3
POSE_DIM = POSE_POINTS * 4
FEATURE_DIM = FACE_DIM + POSE_DIM

EMOTIONS: tuple[str, ...] = (
    "happy",
    "sad",
    "neutral",
    "angry",
    "surprised",
    "fearful",
    "disgusted",
)

# Ordinal stress levels used for labels; their score is the index scaled to [0, 1].
STRESS_LEVELS: tuple[str, ...] = ("none", "low", "moderate", "high")


def stress_level_score(level: str) -> float:
    return STRESS_LEVELS.index(level) / (len(STRESS_LEVELS) - 1)
