"""Export a checkpoint to ONNX (dynamic batch, and sequence for stress), parity-checked.

python -m ml.export_onnx --model CKPT --output FILE [--int8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from ml.engine import load_checkpoint
from ml.features import FEATURE_DIM
from ml.models import emotion_model_build, stress_model_build

PARITY_TOL = 1e-4


class ParityError(RuntimeError):
    pass


def model_from_checkpoint(ckpt: dict) -> torch.nn.Module:
    build = emotion_model_build if ckpt["kind"] == "emotion" else stress_model_build
    model = build(ckpt["model_config"])
    model.load_state_dict(ckpt["model_state"])
    return model.eval()


def _input_shapes(ckpt: dict) -> list[tuple[int, ...]]:
    if ckpt["kind"] == "emotion":
        return [(1, FEATURE_DIM), (7, FEATURE_DIM)]
    w = int(ckpt["window"])
    return [
        (1, w, FEATURE_DIM),
        (5, w, FEATURE_DIM),
        (1, max(2, w // 2), FEATURE_DIM),
        (3, 2 * w, FEATURE_DIM),
    ]


def metadata(ckpt: dict) -> dict[str, str]:
    meta = {
        "kind": ckpt["kind"],
        "version": str(ckpt["version"]),
        "class_names": json.dumps(ckpt["class_names"]),
        "normalization": json.dumps(ckpt["normalization"]),
        "model_config": json.dumps(ckpt["model_config"]),
    }
    if ckpt["kind"] == "stress":
        meta.update(window=str(ckpt["window"]), stride=str(ckpt["stride"]))
    return meta


def _max_diff(model, session, shapes, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        got = session.run(None, {"features": x})[0]
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def export(checkpoint: Path, output: Path, *, int8: bool = False) -> Path:
    import onnx
    import onnxruntime as ort

    ckpt = load_checkpoint(checkpoint)
    model = model_from_checkpoint(ckpt)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shapes = _input_shapes(ckpt)
    axes = {0: "batch"} if ckpt["kind"] == "emotion" else {0: "batch", 1: "sequence"}
    out_name = "logits" if ckpt["kind"] == "emotion" else "stress_logit"
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = Path(tmp) / "model.onnx" if int8 else output
        torch.onnx.export(
            model,
            (torch.zeros(shapes[0]),),
            str(fp32_path),
            input_names=["features"],
            output_names=[out_name],
            dynamic_axes={"features": axes, out_name: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        proto = onnx.load(str(fp32_path))
        for key, value in metadata(ckpt).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(fp32_path))
        diff = _max_diff(
            model, ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"]), shapes
        )
        if diff > PARITY_TOL:
            raise ParityError(f"ONNX output differs from PyTorch by {diff:.2e} (> {PARITY_TOL})")
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32_path), str(output), weight_type=QuantType.QInt8)
            quantized = onnx.load(str(output))
            if not {p.key for p in quantized.metadata_props} >= {"kind", "normalization"}:
                for key, value in metadata(ckpt).items():
                    entry = quantized.metadata_props.add()
                    entry.key, entry.value = key, value
            entry = quantized.metadata_props.add()
            entry.key, entry.value = "quantization", "int8-dynamic"
            onnx.save(quantized, str(output))
    return output


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Export a checkpoint to ONNX", add_help=add_help)
    parser.add_argument(
        "--model", required=True, help="checkpoint (.pt) from train_emotion/train_stress"
    )
    parser.add_argument("--output", required=True, help="ONNX file to write")
    parser.add_argument(
        "--int8", action="store_true", help="dynamic INT8 quantization (onnxruntime)"
    )
    return parser


def main(args) -> Path:
    path = export(Path(args.model), Path(args.output), int8=args.int8)
    print(f"wrote {path} (parity with PyTorch <= {PARITY_TOL} checked on the FP32 graph)")
    return path


if __name__ == "__main__":
    main(get_args_parser().parse_args())
