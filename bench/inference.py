"""Inference latency: PyTorch eager vs onnxruntime FP32 vs onnxruntime INT8 (dynamic).

Trains the emotion MLP and the stress LSTM/TCN briefly on synthetic data (named so in the
output), exports them, then times batch 1 and 64 (window 30 for stress) with 1 thread each,
and reports the INT8 accuracy change on held-out synthetic subjects (a fresh seed).

python bench/inference.py [--threads 1] [--repeats 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.engine import load_checkpoint  # noqa: E402
from ml.export_onnx import export, model_from_checkpoint  # noqa: E402
from ml.inference import EmotionPredictor, StressPredictor  # noqa: E402
from ml.synthetic import synthetic_emotion_dataset, synthetic_stress_dataset  # noqa: E402
from ml.train_emotion import EmotionTrainConfig  # noqa: E402
from ml.train_emotion import train as train_emotion
from ml.train_stress import StressTrainConfig, window_batch, windows_build  # noqa: E402
from ml.train_stress import train as train_stress

WINDOW = 30


def latency_ms(fn, x, repeats: int) -> float:
    for _ in range(5):
        fn(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def eager_fn(ckpt_path: Path):
    """Raw model forward (normalized input), the baseline the ONNX sessions are compared with."""
    model = model_from_checkpoint(load_checkpoint(ckpt_path))

    def run(x):
        with torch.no_grad():
            return model(torch.from_numpy(x))

    return run


def ort_fn(onnx_path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"features": x})[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="bench_inference_"))
    emotion_ds = synthetic_emotion_dataset(n_subjects=30, per_subject=35, seed=1)
    stress_ds = synthetic_stress_dataset(n_subjects=10, frames_per_segment=60, seed=1)
    models = {
        "emotion MLP": train_emotion(
            emotion_ds, EmotionTrainConfig(epochs=20), tmp / "emotion"
        ).checkpoint_path
    }
    for arch in ("lstm", "tcn"):
        config = StressTrainConfig(arch=arch, window=WINDOW, stride=10, epochs=6)
        models[f"stress {arch.upper()}"] = train_stress(
            stress_ds, config, tmp / arch
        ).checkpoint_path
    print(
        f"data: synthetic (ml.synthetic); threads={args.threads}; median of {args.repeats} runs; "
        f"torch {torch.__version__}"
    )
    print(
        f"{'model':<12} {'batch':>5} {'eager ms':>9} {'ORT fp32':>9} {'ORT int8':>9} "
        f"{'fp32 x':>7} {'int8 x':>7}"
    )
    rng = np.random.default_rng(0)
    for name, ckpt in models.items():
        fp32 = export(ckpt, tmp / f"{name}.onnx".replace(" ", "_"))
        int8 = export(ckpt, tmp / f"{name}.int8.onnx".replace(" ", "_"), int8=True)
        runners = [eager_fn(ckpt), ort_fn(fp32, args.threads), ort_fn(int8, args.threads)]
        for batch in (1, 64):
            shape = (batch, 1536) if name.startswith("emotion") else (batch, WINDOW, 1536)
            x = rng.standard_normal(shape).astype(np.float32)
            eager, ort32, ort8 = (
                latency_ms(r, x, args.repeats if batch == 1 else max(20, args.repeats // 10))
                for r in runners
            )
            print(
                f"{name:<12} {batch:>5} {eager:>9.3f} {ort32:>9.3f} {ort8:>9.3f} "
                f"{eager / ort32:>6.2f}x "
                f"{eager / ort8:>6.2f}x"
            )
        delta, n = int8_accuracy_delta(name, ckpt, fp32, int8)
        print(
            f"{name:<12} INT8 accuracy change on {n} held-out synthetic samples "
            f"(new subjects): {delta:+.2f} points"
        )


def int8_accuracy_delta(name, ckpt, fp32, int8) -> tuple[float, int]:
    """Accuracy change FP32 -> INT8 on fresh synthetic subjects never seen in training."""
    if name.startswith("emotion"):
        held_out = synthetic_emotion_dataset(n_subjects=20, per_subject=35, seed=99)
        X, y = held_out.X, held_out.y
        acc = [
            np.mean(EmotionPredictor.from_path(p).predict_proba(X).argmax(1) == y)
            for p in (fp32, int8)
        ]
    else:
        held_out = synthetic_stress_dataset(n_subjects=10, frames_per_segment=60, seed=99)
        wins = windows_build(held_out, WINDOW, load_checkpoint(ckpt)["stride"])
        y = (wins.target >= 0.5).astype(int)
        xw = window_batch(held_out.X, wins.starts, WINDOW)
        acc = [
            np.mean((StressPredictor.from_path(p).predict(xw) >= 0.5) == y) for p in (fp32, int8)
        ]
    return 100 * (acc[1] - acc[0]), len(y)


if __name__ == "__main__":
    main()
