"""The admin metrics dashboard: staff only, and its charts render in headless Chromium."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
from django.urls import reverse

from ml.features import EMOTIONS
from ml.metrics import emotion_metrics, stress_metrics
from retraining.models import ModelVersion, RunStatus, TrainingRun
from tests.browser import CHROMIUM_ARGS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHART_LABELS_JS = (
    "id => { const c = Chart.getChart(id); return c ? c.data.datasets.map(d => d.label) : null; }"
)


def _version(kind: str, number: int, metrics: dict, promoted: bool) -> ModelVersion:
    curves = [
        {
            "epoch": e,
            "train_loss": 1.5 / (e + 1),
            "val_loss": 1.6 / (e + 1) + 0.05,
            "val_accuracy": min(0.9, 0.3 + 0.05 * e),
            "lr": 1e-3,
        }
        for e in range(12)
    ]
    run = TrainingRun.objects.create(
        kind=kind,
        status=RunStatus.SUCCEEDED,
        curves=curves,
        dataset_hash="ab" * 32,
        counts={"frames": 4200, "subjects": 12},
    )
    return ModelVersion.objects.create(
        kind=kind,
        version=number,
        source_run=run,
        metrics=metrics,
        promoted=promoted,
        onnx=f"models/{kind}/v{number}/model.onnx",
        checkpoint=f"models/{kind}/v{number}/m.pt",
        class_names=list(EMOTIONS) if kind == "emotion" else ["not_stressed", "stressed"],
        comparison={"metric": "macro_f1" if kind == "emotion" else "auc", "reason": "test data"},
    )


@pytest.fixture
def versions():
    """Registry rows whose metrics come from ml.metrics on synthetic predictions."""
    rng = np.random.default_rng(0)
    made = []
    for number, noise in ((1, 0.5), (2, 0.3)):
        y = rng.integers(0, 7, 700)
        y_pred = np.where(rng.random(700) < noise, rng.integers(0, 7, 700), y)
        metrics = emotion_metrics(y, y_pred, list(EMOTIONS))
        made.append(_version("emotion", number, metrics, promoted=number == 2))
    y = rng.integers(0, 2, 400)
    scores = np.clip(y * 0.4 + rng.random(400) * 0.6, 0, 1)
    made.append(_version("stress", 1, stress_metrics(y, scores), promoted=True))
    return made


def test_dashboard_is_forbidden_to_non_staff(client, versions):
    user = UserFactory(is_staff=False)
    client.force_login(user)
    for url in (
        reverse("admin:retraining_modelversion_dashboard"),
        reverse("admin:retraining_modelversion_metrics", args=[versions[0].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff_without_permission = UserFactory(is_staff=True)
    client.force_login(staff_without_permission)
    assert client.get(reverse("admin:retraining_modelversion_dashboard")).status_code == 403


def test_dashboard_lists_versions_with_metrics(admin_client, versions):
    response = admin_client.get(reverse("admin:retraining_modelversion_dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    for v in versions:
        assert str(v) in body
    assert "vendor/chartjs/chart.umd.js" in body


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_version_pages_render_charts_in_chromium(live_server, chromium_path, artifacts_dir):
    from django.test import Client
    from playwright.sync_api import sync_playwright

    made = _versions_for_browser()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    cookie = client.cookies["sessionid"].value
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1800},
        )
        browser.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages = {
            "emotion": (
                "admin:retraining_modelversion_metrics",
                [made["emotion"].pk],
                ["per-class-f1", "training-curves", "history"],
            ),
            "stress": (
                "admin:retraining_modelversion_metrics",
                [made["stress"].pk],
                ["roc-curve", "calibration", "training-curves", "history"],
            ),
            "dashboard": (
                "admin:retraining_modelversion_dashboard",
                [],
                ["history-emotion", "history-stress"],
            ),
        }
        for name, (url_name, url_args, canvases) in pages.items():
            page.goto(live_server.url + reverse(url_name, args=url_args))
            page.wait_for_selector("body[data-charts-ready='true']", timeout=15000)
            for canvas in canvases:
                datasets = page.evaluate(CHART_LABELS_JS, canvas)
                assert datasets, f"{name}: chart {canvas} rendered"
                if canvas in ("per-class-f1", "history", "history-emotion", "history-stress"):
                    assert any(label.startswith("target") for label in datasets), (
                        f"{name}: {canvas} draws the spec target"
                    )
            page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
        if made["emotion"].metrics.get("confusion_matrix"):
            assert page.goto(
                live_server.url
                + reverse("admin:retraining_modelversion_metrics", args=[made["emotion"].pk])
            ).ok
            assert page.locator("#confusion-matrix td").count() == 49
        browser.close()
    assert not errors, errors


def _versions_for_browser() -> dict:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 7, 700)
    y_pred = np.where(rng.random(700) < 0.35, rng.integers(0, 7, 700), y)
    emotion = _version("emotion", 1, emotion_metrics(y, y_pred, list(EMOTIONS)), promoted=True)
    _version(
        "emotion",
        2,
        emotion_metrics(y, np.where(rng.random(700) < 0.5, 0, y), list(EMOTIONS)),
        promoted=False,
    )
    yb = rng.integers(0, 2, 400)
    scores = np.clip(yb * 0.45 + rng.random(400) * 0.55, 0, 1)
    stress = _version("stress", 1, stress_metrics(yb, scores), promoted=True)
    return {"emotion": emotion, "stress": stress}
