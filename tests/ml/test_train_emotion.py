import json

import numpy as np
import torch

from ml.engine import load_checkpoint
from ml.export_onnx import model_from_checkpoint
from ml.inference import EmotionPredictor
from ml.presets import Normalization
from ml.split import grouped_split
from ml.synthetic import synthetic_emotion_dataset
from ml.train_emotion import EmotionTrainConfig, get_args_parser, main, train


def test_mlp_learns_synthetic_emotions_well_above_chance(emotion_run):
    result, history = emotion_run
    assert result.metrics["accuracy"] > 0.5  # chance is 1/7
    assert result.metrics["macro_f1"] > 0.4
    assert history == result.history and [h["epoch"] for h in history] == list(
        range(1, len(history) + 1)
    )
    assert set(history[0]) >= {"epoch", "train_loss", "val_loss", "val_accuracy", "lr"}


def test_split_groups_are_disjoint_and_saved(emotion_run):
    split = emotion_run[0].split
    assert not set(split["train"]) & set(split["test"]) and not set(split["val"]) & set(
        split["test"]
    )


def test_normalization_comes_from_the_training_split_only(emotion_run, synthetic_emotion):
    train_idx, _, _ = grouped_split(synthetic_emotion.groups, synthetic_emotion.y, seed=0)
    expected = Normalization.fit(synthetic_emotion.X[train_idx])
    np.testing.assert_allclose(emotion_run[0].normalization["mean"], expected.mean, rtol=1e-6)
    full = Normalization.fit(synthetic_emotion.X)
    assert not np.allclose(full.mean, expected.mean)


def test_checkpoint_round_trip_reproduces_predictions(emotion_run, synthetic_emotion):
    result = emotion_run[0]
    ckpt = load_checkpoint(result.checkpoint_path)
    assert (
        ckpt["class_names"][0] == "happy"
        and ckpt["args"]["lr"] == 1e-3
        and ckpt["metrics"] == result.metrics
    )
    assert ckpt["model_config"]["hidden"] == (512, 256, 128)
    model = model_from_checkpoint(ckpt)
    x = synthetic_emotion.X[:20]
    norm = Normalization.from_dict(ckpt["normalization"])
    with torch.no_grad():
        direct = torch.softmax(model(torch.from_numpy(norm.apply(x))), 1).numpy()
    np.testing.assert_allclose(
        EmotionPredictor.from_path(result.checkpoint_path).predict_proba(x), direct, atol=1e-6
    )
    saved = json.loads((result.checkpoint_path.parent / "metrics.json").read_text())
    assert (
        saved["report"]["data"] == "synthetic" and "accuracy > 0.65" in saved["report"]["targets"]
    )


def test_early_stopping_stops_and_scheduler_halves_lr_when_val_loss_stalls(tmp_path):
    noise = synthetic_emotion_dataset(n_subjects=9, per_subject=14, seed=5, effect=0.0)
    config = EmotionTrainConfig(epochs=60, lr=0.01, patience=4, lr_patience=1, seed=0)
    result = train(noise, config, tmp_path)
    assert len(result.history) < 60
    lrs = [h["lr"] for h in result.history]
    assert min(lrs) <= 0.005 and lrs[0] == 0.01


def test_cli_prints_target_comparison_naming_the_data(tmp_path, capsys, synthetic_emotion):
    from ml.dataset import save_npz

    data = save_npz(synthetic_emotion, tmp_path / "synthetic.npz")
    main(
        get_args_parser().parse_args(
            ["--data", str(data), "--epochs", "2", "--output", str(tmp_path / "out")]
        )
    )
    out = capsys.readouterr().out
    assert "data: synthetic" in out and "target accuracy > 0.65" in out
    assert (tmp_path / "out" / "model.pt").exists() and (tmp_path / "out" / "metrics.json").exists()
