"""One training run, step by step: assemble -> train -> export -> evaluate -> register.

Every step is saved in the run row; the kind's lease is renewed at each step and
epoch. A restarted run starts again from a clean work folder.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from retraining.datasets import training_set_assemble
from retraining.evaluation import KEY_METRIC, held_out_score
from retraining.locks import kind_lock_renew
from retraining.models import ModelKind, ModelVersion, RunStep, TrainingRun
from retraining.services.registry import model_version_register, promotion_decide
from retraining.services.runs import training_run_log, training_run_update


def run_work_dir(run: TrainingRun) -> Path:
    return Path(settings.MEDIA_ROOT) / settings.RETRAIN_MODEL_SUBDIR / "work" / f"run-{run.pk}"


def _trainer(kind: str):
    if kind == ModelKind.EMOTION:
        from ml.train_emotion import EmotionTrainConfig, train

        return EmotionTrainConfig, train
    from ml.train_stress import StressTrainConfig, train

    return StressTrainConfig, train


def train_config(kind: str, params: dict):
    """The trainer's dataclass config from run params; unknown keys are an error."""
    config_cls, _ = _trainer(kind)
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"unknown {kind} training parameters {unknown}; known: {sorted(names)}")
    return config_cls(**params)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def training_run_execute(*, run: TrainingRun, token: str) -> ModelVersion:
    kind = run.kind

    def heartbeat() -> None:
        kind_lock_renew(kind=kind, token=token)

    timings: dict[str, float] = {}
    clock = {"step": "", "since": time.monotonic()}

    def step(name: str, line: str) -> None:
        heartbeat()
        now = time.monotonic()
        if clock["step"]:
            timings[clock["step"]] = round(now - clock["since"], 3)
        clock.update(step=name, since=now)
        training_run_update(run_id=run.pk, step=name, timings=timings)
        training_run_log(run_id=run.pk, line=f"{name}: {line}")

    config = train_config(kind, run.params)
    step(RunStep.ASSEMBLING, "assembling the dataset")
    assembled = training_set_assemble(kind=kind, heartbeat=heartbeat)
    training_run_update(run_id=run.pk, dataset_hash=assembled.sha256, counts=assembled.counts)
    training_run_log(run_id=run.pk, line=f"dataset {assembled.sha256[:12]} {assembled.counts}")

    work = run_work_dir(run)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    curves: list[dict] = []

    def on_epoch(row: dict) -> None:
        heartbeat()
        curves.append(_jsonable(row))
        training_run_update(run_id=run.pk, curves=curves)

    training_run_update(run_id=run.pk, curves=[])
    step(RunStep.TRAINING, f"training {kind} with {_jsonable(dataclasses.asdict(config))}")
    _, train = _trainer(kind)
    result = train(assembled.dataset, config, work, on_epoch=on_epoch)

    step(RunStep.EXPORTING, "exporting ONNX (float32 and int8)")
    from ml.export_onnx import export

    onnx_path = export(Path(result.checkpoint_path), work / "model.onnx")
    int8_path = export(Path(result.checkpoint_path), work / "model.int8.onnx", int8=True)

    step(RunStep.EVALUATING, f"scoring {KEY_METRIC[kind]} on the held-out subjects")
    candidate = held_out_score(kind, onnx_path, assembled.dataset, result.split)
    incumbent_version = ModelVersion.objects.filter(kind=kind, promoted=True).first()
    incumbent = None
    if incumbent_version is not None:
        try:
            incumbent = held_out_score(
                kind, Path(incumbent_version.onnx.path), assembled.dataset, result.split
            )
        except Exception as exc:  # a missing or unreadable file must not sink the new run
            training_run_log(run_id=run.pk, line=f"could not score {incumbent_version}: {exc}")
    promote, reason = promotion_decide(
        candidate=candidate, incumbent=incumbent, has_incumbent=incumbent_version is not None
    )
    comparison = {
        "metric": KEY_METRIC[kind],
        "candidate": candidate,
        "incumbent": incumbent,
        "incumbent_version": incumbent_version.version if incumbent_version else None,
        "test_subjects": len(result.split.get("test", [])),
        "test_groups": [str(g) for g in result.split.get("test", [])],
        "promoted": promote,
        "reason": reason,
    }
    training_run_log(run_id=run.pk, line=f"promotion: {reason}")
    step(RunStep.DONE, "registering the version")
    version = model_version_register(
        run=run,
        files={
            "onnx": onnx_path,
            "onnx_int8": int8_path,
            "checkpoint": Path(result.checkpoint_path),
        },
        normalization=_jsonable(result.normalization),
        class_names=_class_names(kind),
        metrics=_jsonable(result.metrics),
        comparison=comparison,
        promote=promote,
    )
    shutil.rmtree(work, ignore_errors=True)
    training_run_log(run_id=run.pk, line=f"registered {version}")
    return version


def _class_names(kind: str) -> list[str]:
    from ml.features import EMOTIONS

    return list(EMOTIONS) if kind == ModelKind.EMOTION else ["not_stressed", "stressed"]
