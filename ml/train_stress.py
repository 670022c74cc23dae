"""Train a temporal stress model (LSTM or TCN) on windows of landmark frames -> score in [0, 1].

python -m ml.train_stress --data PATH --epochs 30 --batch-size 32 --output DIR [--arch lstm|tcn]
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ml.dataset import LandmarkDataset, load_dataset
from ml.engine import (
    CHECKPOINT_VERSION,
    TrainResult,
    data_source_name,
    fit,
    print_epoch,
    print_final_report,
    seed_everything,
    target_report,
    write_outputs,
)
from ml.metrics import stress_metrics
from ml.models import StressModelConfig, config_dict, stress_model_build
from ml.presets import Normalization, TrainAugment
from ml.split import grouped_split, split_groups


@dataclass
class StressTrainConfig:
    arch: str = "lstm"
    window: int = 30
    stride: int = 15
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    patience: int = 10
    lr_patience: int = 5
    lr_factor: float = 0.5
    seed: int = 0
    threshold: float = 0.5
    target: str = "mean"
    augment: bool = True


@dataclass
class Windows:
    starts: np.ndarray  # frame index of each window's first frame (into the dataset)
    target: np.ndarray  # float32 in [0, 1]
    groups: np.ndarray


def windows_build(ds: LandmarkDataset, window: int, stride: int, target: str = "mean") -> Windows:
    """Sliding windows inside each session (or group when no session extra), ordered by t;
    windows touching an unlabeled (NaN) frame are skipped."""
    if "stress" not in ds.extras:
        raise ValueError(
            "the dataset has no 'stress' labels; stress training needs the stress extra"
        )
    stress = ds.extras["stress"]
    session = ds.extras.get("session", ds.groups)
    starts, targets, groups = [], [], []
    order = np.lexsort((ds.t, session))
    sorted_session = session[order]
    boundaries = np.flatnonzero(sorted_session[1:] != sorted_session[:-1]) + 1
    for run in np.split(order, boundaries):
        if not np.all(np.diff(run) == 1):
            raise ValueError(
                "frames of a session must be contiguous and ordered by t in the dataset"
            )
        for s in range(0, len(run) - window + 1, stride):
            labels = stress[run[s : s + window]]
            if np.isnan(labels).any():
                continue
            starts.append(run[s])
            targets.append(labels.mean() if target == "mean" else labels[-1])
            groups.append(ds.groups[run[s]])
    return Windows(
        np.asarray(starts, dtype=np.int64),
        np.asarray(targets, dtype=np.float32),
        np.asarray(groups),
    )


def window_batch(X: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    return X[starts[:, None] + np.arange(window)[None, :]]


def train_one_epoch(model, optimizer, X, wins: Windows, idx, config, norm, augment, rng) -> float:
    model.train()
    criterion = nn.BCEWithLogitsLoss()
    order = rng.permutation(idx)
    total = 0.0
    for start in range(0, len(order), config.batch_size):
        b = order[start : start + config.batch_size]
        xb = window_batch(X, wins.starts[b], config.window)
        if augment is not None:
            xb = augment(xb)
        loss = criterion(model(torch.from_numpy(norm.apply(xb))), torch.from_numpy(wins.target[b]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(b)
    return total / max(len(idx), 1)


@torch.no_grad()
def evaluate(
    model, X, wins: Windows, idx, config, norm, batch_size: int = 256
) -> tuple[float, np.ndarray]:
    model.eval()
    scores = []
    for start in range(0, len(idx), batch_size):
        b = idx[start : start + batch_size]
        scores.append(
            torch.sigmoid(
                model(torch.from_numpy(norm.apply(window_batch(X, wins.starts[b], config.window))))
            )
        )
    p = torch.cat(scores) if scores else torch.zeros(0)
    loss = nn.functional.binary_cross_entropy(
        p.clamp(1e-7, 1 - 1e-7), torch.from_numpy(wins.target[idx])
    )
    return float(loss.item()), p.numpy()


def train(
    dataset: LandmarkDataset, config: StressTrainConfig, output_dir, on_epoch=None
) -> TrainResult:
    seed_everything(config.seed)
    wins = windows_build(dataset, config.window, config.stride, config.target)
    if len(wins.starts) == 0:
        raise ValueError(f"no labeled window of {config.window} frames in the dataset")
    binary = (wins.target >= config.threshold).astype(np.int64)
    train_idx, val_idx, test_idx = grouped_split(wins.groups, binary, seed=config.seed)
    train_frames = np.unique((wins.starts[train_idx, None] + np.arange(config.window)).ravel())
    norm = Normalization.fit(dataset.X[train_frames])
    model_config = StressModelConfig(arch=config.arch)
    model = stress_model_build(model_config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    augment = TrainAugment(seed=config.seed) if config.augment else None
    rng = np.random.default_rng(config.seed)
    X = dataset.X

    def val_step() -> dict:
        loss, scores = evaluate(model, X, wins, val_idx, config, norm)
        return {
            "val_loss": loss,
            "val_accuracy": float(np.mean((scores >= config.threshold) == binary[val_idx])),
        }

    history = fit(
        model=model,
        optimizer=optimizer,
        train_one_epoch=lambda: train_one_epoch(
            model, optimizer, X, wins, train_idx, config, norm, augment, rng
        ),
        evaluate_val=val_step,
        epochs=config.epochs,
        patience=config.patience,
        lr_patience=config.lr_patience,
        lr_factor=config.lr_factor,
        on_epoch=on_epoch,
    )
    _, scores = evaluate(model, X, wins, test_idx, config, norm)
    metrics = stress_metrics(binary[test_idx], scores, threshold=config.threshold)
    report = target_report(
        kind="stress", metrics=metrics, data_source=data_source_name(dataset.source)
    )
    split = split_groups(wins.groups, (train_idx, val_idx, test_idx))
    checkpoint = {
        "kind": "stress",
        "version": CHECKPOINT_VERSION,
        "args": asdict(config),
        "model_config": config_dict(model_config),
        "model_state": model.state_dict(),
        "normalization": norm.to_dict(),
        "class_names": ["stress"],
        "window": config.window,
        "stride": config.stride,
        "metrics": metrics,
        "report": report,
    }
    path = write_outputs(
        output_dir=Path(output_dir),
        checkpoint=checkpoint,
        metrics=metrics,
        report=report,
        history=history,
        split=split,
    )
    return TrainResult(path, metrics, history, split, norm.to_dict())


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train the temporal stress model", add_help=add_help
    )
    parser.add_argument(
        "--data", required=True, help="dataset (.npz or .parquet) with a 'stress' column"
    )
    parser.add_argument("--arch", choices=("lstm", "tcn"), default="lstm")
    parser.add_argument("--window", type=int, default=30, help="frames per window")
    parser.add_argument("--stride", type=int, default=15, help="frames between window starts")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--weight-decay", type=float, default=1e-5)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--target", choices=("mean", "last"), default="mean")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--output", required=True, help="output directory")
    return parser


def main(args) -> TrainResult:
    config = StressTrainConfig(
        arch=args.arch,
        window=args.window,
        stride=args.stride,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        patience=args.patience,
        target=args.target,
        seed=args.seed,
        augment=not args.no_augment,
    )
    result = train(
        load_dataset(args.data),
        config,
        args.output,
        on_epoch=print_epoch,
    )
    print_final_report(result.checkpoint_path, result.metrics, "stress")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
