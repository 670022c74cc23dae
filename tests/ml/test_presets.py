import numpy as np

from ml.presets import Normalization, TrainAugment, horizontal_flip
from ml.synthetic import synthetic_emotion_dataset


def test_horizontal_flip_mirrors_x_swaps_pose_sides_and_is_an_involution():
    X = synthetic_emotion_dataset(n_subjects=3, per_subject=7).X
    flipped = horizontal_flip(X)
    np.testing.assert_allclose(horizontal_flip(flipped), X, atol=1e-6)
    np.testing.assert_allclose(flipped[:, 0], 1 - X[:, 0], atol=1e-6)
    left_shoulder_x, right_shoulder_x = 1404 + 11 * 4, 1404 + 12 * 4
    np.testing.assert_allclose(flipped[:, left_shoulder_x], 1 - X[:, right_shoulder_x], atol=1e-6)


def test_flip_keeps_missing_pose_at_zero():
    X = synthetic_emotion_dataset(n_subjects=3, per_subject=7).X
    X[:, 1404:] = 0
    assert (horizontal_flip(X)[:, 1404:] == 0).all()


def test_normalization_round_trips_and_constant_features_stay_finite():
    X = np.random.default_rng(0).random((50, 1536)).astype(np.float32)
    X[:, 5] = 0.3
    norm = Normalization.fit(X)
    back = Normalization.from_dict(norm.to_dict())
    z = back.apply(X)
    assert np.isfinite(z).all() and np.allclose(z[:, 5], 0)
    np.testing.assert_allclose(z[:, 10].mean(), 0, atol=1e-5)


def test_augment_changes_windows_but_keeps_shape():
    X = synthetic_emotion_dataset(n_subjects=3, per_subject=8).X.reshape(4, 6, 1536)
    out = TrainAugment(seed=1)(X)
    assert out.shape == X.shape and not np.allclose(out, X)
