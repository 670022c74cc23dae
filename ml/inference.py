"""Predictors loading a checkpoint (PyTorch) or an ONNX file (onnxruntime); normalization inside."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ml.engine import load_checkpoint
from ml.presets import Normalization


class _Backend:
    """Runs a model on normalized float32 input; one of torch or onnxruntime."""

    def __init__(self, path: Path, kind: str, threads: int | None = None):
        self.path = Path(path)
        if self.path.suffix == ".onnx":
            import onnxruntime as ort

            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
            meta = self.session.get_modelmeta().custom_metadata_map
            self.meta = {
                "kind": meta["kind"],
                "class_names": json.loads(meta["class_names"]),
                "normalization": json.loads(meta["normalization"]),
                "window": int(meta.get("window", 0)),
                "stride": int(meta.get("stride", 0)),
            }
            self.model = None
        else:
            from ml.export_onnx import model_from_checkpoint

            ckpt = load_checkpoint(self.path)
            self.model = model_from_checkpoint(ckpt)
            self.meta = {
                "kind": ckpt["kind"],
                "class_names": ckpt["class_names"],
                "normalization": ckpt["normalization"],
                "window": ckpt.get("window", 0),
                "stride": ckpt.get("stride", 0),
            }
        if self.meta["kind"] != kind:
            raise ValueError(f"{self.path} holds a {self.meta['kind']} model, not a {kind} model")
        self.normalization = Normalization.from_dict(self.meta["normalization"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = self.normalization.apply(x)
        if self.model is None:
            return self.session.run(None, {"features": x})[0]
        with torch.no_grad():
            return self.model(torch.from_numpy(x)).numpy()


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class EmotionPredictor:
    def __init__(self, backend: _Backend):
        self.backend = backend
        self.class_names: list[str] = backend.meta["class_names"]

    @classmethod
    def from_path(cls, path, threads: int | None = None) -> EmotionPredictor:
        return cls(_Backend(Path(path), "emotion", threads))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """X (n, 1536) raw features -> (n, 7) class probabilities in class_names order."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ValueError(f"expected features of shape (n, 1536), got {X.shape}")
        return _softmax(self.backend(X).astype(np.float64)).astype(np.float32)


class StressPredictor:
    def __init__(self, backend: _Backend):
        self.backend = backend
        self.window: int = int(backend.meta["window"])
        self.stride: int = int(backend.meta["stride"])

    @classmethod
    def from_path(cls, path, threads: int | None = None) -> StressPredictor:
        return cls(_Backend(Path(path), "stress", threads))

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """windows (b, T, 1536) raw features -> (b,) stress scores in [0, 1]."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim != 3:
            raise ValueError(f"expected windows of shape (b, T, 1536), got {windows.shape}")
        return (1.0 / (1.0 + np.exp(-self.backend(windows).astype(np.float64)))).astype(np.float32)

    def trace(self, features: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Scores sliding windows over one session's frames (n, 1536): (end_index (k,), score (k,)),
        end_index being the last frame of each window."""
        features = np.asarray(features, dtype=np.float32)
        starts = np.arange(0, len(features) - self.window + 1, self.stride)
        scores = [
            self.predict(features[s[:, None] + np.arange(self.window)])
            for s in np.array_split(starts, max(1, int(np.ceil(len(starts) / batch_size))))
            if len(s)
        ]
        return starts + self.window - 1, (
            np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)
        )
