import numpy as np
import pytest

from ml.dataset import LandmarkDataset
from ml.engine import load_checkpoint
from ml.synthetic import synthetic_stress_dataset
from ml.train_stress import StressTrainConfig, train, windows_build


def test_stress_model_learns_synthetic_stress_above_chance(stress_run):
    assert stress_run.metrics["auc"] > 0.75
    assert stress_run.metrics["accuracy"] > 0.6
    assert set(stress_run.metrics) >= {
        "accuracy",
        "auc",
        "roc",
        "ece",
        "calibration",
        "f1",
        "n_test",
    }


def test_no_participant_is_in_two_splits(stress_run, synthetic_stress):
    split = stress_run.split
    assert not set(split["train"]) & set(split["val"])
    assert not set(split["train"]) & set(split["test"])
    assert not set(split["val"]) & set(split["test"])
    assert set(split["train"]) | set(split["val"]) | set(split["test"]) == set(
        synthetic_stress.groups
    )


def test_checkpoint_carries_window_and_arch(stress_run):
    ckpt = load_checkpoint(stress_run.checkpoint_path)
    assert ckpt["kind"] == "stress" and ckpt["window"] == 15 and ckpt["stride"] == 8
    assert ckpt["model_config"]["arch"] in ("lstm", "tcn")


def test_windows_never_cross_sessions_and_skip_unlabeled_frames():
    ds = synthetic_stress_dataset(
        n_subjects=2, sessions_per_subject=2, frames_per_segment=10, segments=2
    )
    ds.extras["stress"][:5] = np.nan
    wins = windows_build(ds, window=8, stride=4)
    session = ds.extras["session"]
    for start in wins.starts:
        assert len(set(session[start : start + 8])) == 1
        assert not np.isnan(ds.extras["stress"][start : start + 8]).any()


def test_continuous_soft_targets_train(tmp_path):
    ds = synthetic_stress_dataset(
        n_subjects=4, sessions_per_subject=1, frames_per_segment=20, segments=2
    )
    ds.extras["stress"] = (ds.extras["stress"] * 0.6 + 0.2).astype(np.float32)
    result = train(ds, StressTrainConfig(arch="tcn", window=10, stride=5, epochs=1), tmp_path)
    assert 0 <= result.metrics["accuracy"] <= 1 and len(result.history) == 1


def test_dataset_without_stress_labels_is_refused(tmp_path):
    ds = LandmarkDataset(
        np.zeros((40, 1536), np.float32),
        np.zeros(40, np.int64),
        ["a"] * 40,
        np.arange(40.0),
        ["x"] * 40,
    )
    with pytest.raises(ValueError, match="stress"):
        train(ds, StressTrainConfig(epochs=1), tmp_path)


def test_cli_trains_tcn_and_reports_targets_for_synthetic_data(tmp_path, capsys):
    from ml.dataset import save_npz
    from ml.train_stress import get_args_parser, main

    ds = synthetic_stress_dataset(
        n_subjects=4, sessions_per_subject=1, frames_per_segment=20, segments=2
    )
    data = save_npz(ds, tmp_path / "synthetic.npz")
    main(
        get_args_parser().parse_args(
            [
                "--data",
                str(data),
                "--arch",
                "tcn",
                "--window",
                "10",
                "--stride",
                "5",
                "--epochs",
                "1",
                "--output",
                str(tmp_path / "out"),
            ]
        )
    )
    out = capsys.readouterr().out
    assert "stress model on data: synthetic" in out and "target AUC > 0.75" in out
    assert load_checkpoint(tmp_path / "out" / "model.pt")["model_config"]["arch"] == "tcn"
