import numpy as np
import pytest

from ml.dataset import (
    DatasetFormatError,
    LandmarkDataset,
    load_npz,
    load_parquet,
    save_npz,
    save_parquet,
)
from ml.synthetic import synthetic_stress_dataset


def small_stress_dataset():
    return synthetic_stress_dataset(
        n_subjects=3, sessions_per_subject=1, frames_per_segment=5, segments=2
    )


@pytest.mark.parametrize(
    "save,load,name", [(save_npz, load_npz, "d.npz"), (save_parquet, load_parquet, "d.parquet")]
)
def test_round_trip_keeps_every_column_and_extra(tmp_path, save, load, name):
    ds = small_stress_dataset()
    ds.extras["stress"][0] = np.nan
    back = load(save(ds, tmp_path / name))
    np.testing.assert_array_equal(back.X, ds.X)
    np.testing.assert_array_equal(back.y, ds.y)
    assert back.groups.tolist() == ds.groups.tolist() and back.source.tolist() == ds.source.tolist()
    np.testing.assert_array_equal(back.t, ds.t)
    np.testing.assert_array_equal(back.extras["stress"], ds.extras["stress"])
    assert back.extras["session"].tolist() == ds.extras["session"].tolist()
    assert back.X.dtype == np.float32 and back.y.dtype == np.int64


def test_wrong_feature_width_is_rejected_with_its_shape():
    with pytest.raises(DatasetFormatError, match=r"\(n, 1536\).*\(4, 10\)"):
        LandmarkDataset(
            np.zeros((4, 10), np.float32), np.zeros(4, np.int64), ["a"] * 4, np.zeros(4), ["s"] * 4
        )


def test_float64_features_and_out_of_range_labels_are_rejected():
    with pytest.raises(DatasetFormatError, match="float32"):
        LandmarkDataset(
            np.zeros((2, 1536)), np.zeros(2, np.int64), ["a"] * 2, np.zeros(2), ["s"] * 2
        )
    with pytest.raises(DatasetFormatError, match="y values"):
        LandmarkDataset(
            np.zeros((2, 1536), np.float32), np.array([0, 9]), ["a"] * 2, np.zeros(2), ["s"] * 2
        )


def test_npz_missing_required_array_names_it(tmp_path):
    np.savez(tmp_path / "bad.npz", X=np.zeros((2, 1536), np.float32), y=np.zeros(2, np.int64))
    with pytest.raises(DatasetFormatError, match="groups"):
        load_npz(tmp_path / "bad.npz")


def test_stress_outside_unit_interval_is_rejected():
    with pytest.raises(DatasetFormatError, match=r"\[0, 1\]"):
        LandmarkDataset(
            np.zeros((2, 1536), np.float32),
            np.zeros(2, np.int64),
            ["a"] * 2,
            np.zeros(2),
            ["s"] * 2,
            {"stress": np.array([0.5, 3.0], np.float32)},
        )
