"""Training loop pieces shared by the emotion and stress scripts: epoch loop with
ReduceLROnPlateau and early stopping, checkpoint writing and target reports."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

CHECKPOINT_VERSION = 1


@dataclass
class TrainResult:
    checkpoint_path: Path
    metrics: dict
    history: list[dict] = field(default_factory=list)
    split: dict = field(default_factory=dict)
    normalization: dict = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def fit(
    *,
    model,
    optimizer,
    train_one_epoch: Callable[[], float],
    evaluate_val: Callable[[], dict],
    epochs: int,
    patience: int,
    lr_patience: int,
    lr_factor: float,
    on_epoch: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Runs epochs until `epochs` or `patience` epochs without val_loss improvement; restores
    the best weights. evaluate_val returns a dict with at least val_loss."""
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=lr_factor, patience=lr_patience
    )
    best_loss, best_state, stale, history = math.inf, copy.deepcopy(model.state_dict()), 0, []
    for epoch in range(1, epochs + 1):
        lr = optimizer.param_groups[0]["lr"]
        train_loss = train_one_epoch()
        val = evaluate_val()
        scheduler.step(val["val_loss"])
        row = {
            "epoch": epoch,
            "train_loss": float(train_loss),
            **{k: float(v) for k, v in val.items()},
            "lr": lr,
        }
        history.append(row)
        if on_epoch is not None:
            on_epoch(dict(row))
        if val["val_loss"] < best_loss - 1e-6:
            best_loss, best_state, stale = val["val_loss"], copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= patience:
                break
    model.load_state_dict(best_state)
    return history


def target_report(*, kind: str, metrics: dict, data_source: str) -> dict:
    """Compares held-out metrics with the spec targets (emotion: accuracy > 0.65 and every
    per-class F1 > 0.60; stress: accuracy > 0.70 and AUC > 0.75)."""
    if kind == "emotion":
        checks = {
            "accuracy > 0.65": metrics["accuracy"] > 0.65,
            "per-class F1 > 0.60": all(c["f1"] > 0.60 for c in metrics["per_class"].values()),
        }
    else:
        checks = {
            "accuracy > 0.70": metrics["accuracy"] > 0.70,
            "AUC > 0.75": metrics["auc"] is not None and metrics["auc"] > 0.75,
        }
    return {"data": data_source, "targets": checks, "all_met": all(checks.values())}


def report_lines(report: dict, metrics: dict, kind: str) -> str:
    head = f"{kind} model on data: {report['data']} (held-out test split, n={metrics['n_test']})"
    lines = [head] + [
        f"  target {name}: {'MET' if ok else 'NOT met'}" for name, ok in report["targets"].items()
    ]
    if kind == "emotion":
        lines.insert(1, f"  accuracy {metrics['accuracy']:.3f}  macro F1 {metrics['macro_f1']:.3f}")
        lines += [
            f"    {n:>10}: F1 {c['f1']:.3f} (support {c['support']})"
            for n, c in metrics["per_class"].items()
        ]
    else:
        auc = "undefined" if metrics["auc"] is None else f"{metrics['auc']:.3f}"
        lines.insert(
            1, f"  accuracy {metrics['accuracy']:.3f}  AUC {auc}  ECE {metrics['ece']:.3f}"
        )
    return "\n".join(lines)


def data_source_name(source: np.ndarray) -> str:
    return "+".join(sorted(set(np.asarray(source).astype(str).tolist()))) or "empty"


def write_outputs(
    *,
    output_dir: Path,
    checkpoint: dict,
    metrics: dict,
    report: dict,
    history: list[dict],
    split: dict,
) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "model.pt"
    torch.save(checkpoint, path)
    (output_dir / "metrics.json").write_text(
        json.dumps(
            {"test": metrics, "report": report, "history": history, "split": split},
            indent=2,
            allow_nan=False,
        )
    )
    return path


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(Path(path), map_location="cpu", weights_only=False)


def print_epoch(record: dict) -> None:
    """The command lines' per-epoch progress line."""
    print(
        f"epoch {record['epoch']}: train_loss {record['train_loss']:.4f} "
        f"val_loss {record['val_loss']:.4f} val_acc {record['val_accuracy']:.3f} "
        f"lr {record['lr']:.2e}",
        flush=True,
    )


def print_final_report(checkpoint_path: str | Path, metrics: dict, kind: str) -> None:
    """The held-out metrics against the spec's targets, and where the checkpoint went."""
    report = torch.load(checkpoint_path, weights_only=False)["report"]
    print(report_lines(report, metrics, kind))
    print(f"checkpoint: {checkpoint_path}")
