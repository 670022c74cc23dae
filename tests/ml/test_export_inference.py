import numpy as np
import onnx
import pytest

from ml.export_onnx import export, get_args_parser, main
from ml.inference import EmotionPredictor, StressPredictor


@pytest.fixture(scope="module")
def emotion_onnx(emotion_run, tmp_path_factory):
    return export(emotion_run[0].checkpoint_path, tmp_path_factory.mktemp("onnx") / "emotion.onnx")


def test_emotion_onnx_has_metadata_and_matches_checkpoint(
    emotion_run, emotion_onnx, synthetic_emotion
):
    meta = {p.key: p.value for p in onnx.load(str(emotion_onnx)).metadata_props}
    assert (
        meta["kind"] == "emotion"
        and "happy" in meta["class_names"]
        and "mean" in meta["normalization"]
    )
    assert meta["version"] == "1"
    torch_pred = EmotionPredictor.from_path(emotion_run[0].checkpoint_path)
    onnx_pred = EmotionPredictor.from_path(emotion_onnx)
    for n in (1, 33):
        x = synthetic_emotion.X[:n]
        np.testing.assert_allclose(
            onnx_pred.predict_proba(x), torch_pred.predict_proba(x), atol=1e-4
        )
    assert onnx_pred.class_names == torch_pred.class_names


def test_stress_onnx_matches_checkpoint_on_two_sequence_lengths(
    stress_run, synthetic_stress, tmp_path
):
    path = export(stress_run.checkpoint_path, tmp_path / "stress.onnx")
    torch_pred, onnx_pred = (
        StressPredictor.from_path(stress_run.checkpoint_path),
        StressPredictor.from_path(path),
    )
    for batch, length in ((1, 15), (4, 40)):
        x = synthetic_stress.X[: batch * length].reshape(batch, length, -1)
        got = onnx_pred.predict(x)
        np.testing.assert_allclose(got, torch_pred.predict(x), atol=1e-4)
        assert got.shape == (batch,) and ((got >= 0) & (got <= 1)).all()
    ends, scores = onnx_pred.trace(synthetic_stress.X[:100])
    assert ends.tolist() == list(range(14, 100, 8)) and scores.shape == ends.shape


def test_int8_export_loads_and_agrees_with_fp32(
    emotion_run, stress_run, synthetic_emotion, synthetic_stress, tmp_path
):
    emo = EmotionPredictor.from_path(
        export(emotion_run[0].checkpoint_path, tmp_path / "e8.onnx", int8=True)
    )
    ref = EmotionPredictor.from_path(emotion_run[0].checkpoint_path)
    x = synthetic_emotion.X[:200]
    agreement = np.mean(emo.predict_proba(x).argmax(1) == ref.predict_proba(x).argmax(1))
    assert agreement > 0.9
    stress = StressPredictor.from_path(
        export(stress_run.checkpoint_path, tmp_path / "s8.onnx", int8=True)
    )
    scores = stress.predict(synthetic_stress.X[:150].reshape(10, 15, -1))
    assert scores.shape == (10,) and np.isfinite(scores).all()
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "s8.onnx")).metadata_props}
    assert meta["quantization"] == "int8-dynamic" and meta["kind"] == "stress"


def test_cli_export_and_wrong_kind_is_refused(emotion_run, tmp_path):
    out = main(
        get_args_parser().parse_args(
            ["--model", str(emotion_run[0].checkpoint_path), "--output", str(tmp_path / "m.onnx")]
        )
    )
    with pytest.raises(ValueError, match="emotion model, not a stress"):
        StressPredictor.from_path(out)
