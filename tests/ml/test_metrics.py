import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from ml.features import EMOTIONS
from ml.metrics import calibration, emotion_metrics, stress_metrics
from ml.metrics import roc_curve as our_roc_curve


def test_emotion_metrics_equal_scikit_learn_including_an_unpredicted_class():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 7, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 6, 300))
    m = emotion_metrics(y_true, y_pred, list(EMOTIONS))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=range(7), zero_division=0)
    assert m["accuracy"] == accuracy_score(y_true, y_pred)
    np.testing.assert_allclose(
        m["macro_f1"], f1_score(y_true, y_pred, average="macro", labels=range(7), zero_division=0)
    )
    for i, name in enumerate(EMOTIONS):
        c = m["per_class"][name]
        np.testing.assert_allclose([c["precision"], c["recall"], c["f1"]], [p[i], r[i], f[i]])
        assert c["support"] == s[i]
    assert m["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=range(7)).tolist()


def test_roc_and_auc_equal_scikit_learn_with_tied_scores():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    scores = np.round(np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1), 2)
    fpr, tpr, thr = our_roc_curve(y, scores)
    sk_fpr, sk_tpr, sk_thr = roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])
    np.testing.assert_allclose(stress_metrics(y, scores)["auc"], roc_auc_score(y, scores))


def test_calibration_curve_equals_scikit_learn_and_ece_is_weighted_gap():
    rng = np.random.default_rng(2)
    scores = rng.random(500)
    y = (rng.random(500) < scores**2).astype(int)
    cal = calibration(y, scores, n_bins=10)
    sk_true, sk_pred = calibration_curve(y, scores, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(cal["fraction_positive"], sk_true)
    np.testing.assert_allclose(cal["mean_predicted"], sk_pred)
    expected = np.sum(np.array(cal["counts"]) / 500 * np.abs(sk_pred - sk_true))
    np.testing.assert_allclose(cal["ece"], expected)


def test_stress_accuracy_and_f1_use_the_threshold():
    y = np.array([0, 0, 1, 1])
    m = stress_metrics(y, np.array([0.1, 0.6, 0.7, 0.4]))
    assert m["accuracy"] == 0.5
    np.testing.assert_allclose(m["f1"], f1_score(y, [0, 1, 1, 0]))


def test_auc_is_none_not_nan_when_only_one_class_is_present():
    m = stress_metrics(np.array([1, 1, 1]), np.array([0.2, 0.7, 0.9]))
    assert m["auc"] is None and m["roc"] == {"fpr": [], "tpr": []}
