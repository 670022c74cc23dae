"""Train the emotion MLP on per-frame landmark features.

python -m ml.train_emotion --data PATH --epochs 50 --batch-size 64 --lr 0.001 --output DIR
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
from ml.features import EMOTIONS
from ml.metrics import emotion_metrics
from ml.models import EmotionMLPConfig, config_dict, emotion_model_build
from ml.presets import Normalization, TrainAugment
from ml.split import grouped_split, split_groups


@dataclass
class EmotionTrainConfig:
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-5
    dropout: float = 0.3
    patience: int = 10
    lr_patience: int = 5
    lr_factor: float = 0.5
    seed: int = 0
    class_balanced: bool = True
    augment: bool = True


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights (n / (k * count)); classes absent from training get weight 0."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = counts > 0
    w = np.zeros(n_classes)
    w[present] = counts.sum() / (present.sum() * counts[present])
    return torch.tensor(w, dtype=torch.float32)


def train_one_epoch(
    model,
    criterion,
    optimizer,
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    norm: Normalization,
    augment: TrainAugment | None,
    rng: np.random.Generator,
) -> float:
    model.train()
    order = rng.permutation(len(y))
    total = 0.0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        xb = augment(X[idx]) if augment is not None else X[idx]
        logits = model(torch.from_numpy(norm.apply(xb)))
        loss = criterion(logits, torch.from_numpy(y[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / max(len(y), 1)


@torch.no_grad()
def evaluate(
    model, criterion, X: np.ndarray, y: np.ndarray, norm: Normalization
) -> tuple[float, np.ndarray]:
    model.eval()
    logits = model(torch.from_numpy(norm.apply(X)))
    return float(criterion(logits, torch.from_numpy(y)).item()), logits.argmax(dim=1).numpy()


def train(
    dataset: LandmarkDataset, config: EmotionTrainConfig, output_dir, on_epoch=None
) -> TrainResult:
    seed_everything(config.seed)
    labeled = np.flatnonzero(dataset.y >= 0)
    if len(labeled) == 0:
        raise ValueError("the dataset has no emotion labels (all y are -1)")
    ds = dataset.subset(labeled)
    train_idx, val_idx, test_idx = grouped_split(ds.groups, ds.y, seed=config.seed)
    norm = Normalization.fit(ds.X[train_idx])
    model_config = EmotionMLPConfig(dropout=config.dropout)
    model = emotion_model_build(model_config)
    weights = class_weights(ds.y[train_idx], len(EMOTIONS)) if config.class_balanced else None
    criterion = nn.CrossEntropyLoss(weight=weights)
    eval_criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    augment = TrainAugment(seed=config.seed) if config.augment else None
    rng = np.random.default_rng(config.seed)
    # Index once: fancy indexing copies, and the training split can be hundreds of MB.
    X_train, y_train = ds.X[train_idx], ds.y[train_idx]
    X_val, y_val = ds.X[val_idx], ds.y[val_idx]

    def val_step() -> dict:
        loss, pred = evaluate(model, eval_criterion, X_val, y_val, norm)
        return {"val_loss": loss, "val_accuracy": float(np.mean(pred == y_val))}

    history = fit(
        model=model,
        optimizer=optimizer,
        train_one_epoch=lambda: train_one_epoch(
            model,
            criterion,
            optimizer,
            X_train,
            y_train,
            config.batch_size,
            norm,
            augment,
            rng,
        ),
        evaluate_val=val_step,
        epochs=config.epochs,
        patience=config.patience,
        lr_patience=config.lr_patience,
        lr_factor=config.lr_factor,
        on_epoch=on_epoch,
    )
    _, pred = evaluate(model, eval_criterion, ds.X[test_idx], ds.y[test_idx], norm)
    metrics = emotion_metrics(ds.y[test_idx], pred, list(EMOTIONS))
    report = target_report(kind="emotion", metrics=metrics, data_source=data_source_name(ds.source))
    split = split_groups(ds.groups, (train_idx, val_idx, test_idx))
    checkpoint = {
        "kind": "emotion",
        "version": CHECKPOINT_VERSION,
        "args": asdict(config),
        "model_config": config_dict(model_config),
        "model_state": model.state_dict(),
        "normalization": norm.to_dict(),
        "class_names": list(EMOTIONS),
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
    parser = argparse.ArgumentParser(description="Train the emotion MLP", add_help=add_help)
    parser.add_argument("--data", required=True, help="dataset (.npz or .parquet)")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--weight-decay", type=float, default=1e-5)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--output", required=True, help="output directory")
    return parser


def main(args) -> TrainResult:
    config = EmotionTrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        patience=args.patience,
        seed=args.seed,
        augment=not args.no_augment,
    )
    result = train(
        load_dataset(args.data),
        config,
        args.output,
        on_epoch=print_epoch,
    )
    print_final_report(result.checkpoint_path, result.metrics, "emotion")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
