"""Retraining through a real Celery worker process (Redis broker when REDIS_URL is set,
the filesystem broker otherwise) against the test database."""

from __future__ import annotations

import os
import signal

import numpy as np
import onnxruntime as ort
import psutil
import pytest

from ml.inference import EmotionPredictor
from retraining.models import ModelVersion, RunStatus, TrainingRun
from retraining.services.runs import training_run_request
from retraining.tasks import retrain_recover_stale
from tests.retraining.factories import emotion_dataset_in_db
from tests.retraining.worker import celery_worker, pool_child_pid, queues_purge, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SMALL_RUN = {"epochs": 6, "batch_size": 64, "patience": 6}


def _run(pk: int) -> TrainingRun:
    return TrainingRun.objects.get(pk=pk)


def test_retrain_in_a_worker_moves_through_states_and_registers_a_working_onnx(artifacts_dir):
    emotion_dataset_in_db(subjects=6, frames_per_class=20)
    queues_purge()
    with celery_worker(artifacts_dir / "worker.log"):
        run, created = training_run_request(kind="emotion", trigger="test", params=SMALL_RUN)
        assert created
        seen: list[tuple[str, str]] = []

        def finished():
            current = _run(run.pk)
            if not seen or seen[-1] != (current.status, current.step):
                seen.append((current.status, current.step))
            return current.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

        wait_for(finished, timeout=240, interval=0.05, what="the run to finish")
    run = _run(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error or run.log
    assert run.attempts == 1
    order = ["", "assembling", "training", "exporting", "evaluating", "done"]
    steps = [order.index(step) for _, step in seen]
    assert steps == sorted(steps), f"states only move forward: {seen}"
    assert ("running", "training") in seen, seen
    for step in ("assembling", "training", "exporting", "evaluating"):
        assert step in run.log, f"step {step} is recorded"
    assert len(run.dataset_hash) == 64
    assert run.counts["frames"] == 6 * 7 * 20 and run.counts["subjects"] == 6
    assert len(run.curves) >= 1 and "train_loss" in run.curves[0]
    assert set(run.timings) >= {"assembling", "training", "exporting", "evaluating"}

    version = ModelVersion.objects.get(source_run=run)
    assert version.version == 1 and version.promoted, "the first scored version is promoted"
    assert version.metrics["n_test"] > 0 and "macro_f1" in version.metrics
    assert version.comparison["candidate"] is not None

    session = ort.InferenceSession(version.onnx.path, providers=["CPUExecutionProvider"])
    assert session.get_inputs()
    x = np.random.default_rng(1).normal(0.5, 0.05, (5, 1536)).astype(np.float32)
    probs = EmotionPredictor.from_path(version.onnx.path).predict_proba(x)
    assert probs.shape == (5, 7)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert os.path.getsize(version.onnx_int8.path) > 0


def test_worker_killed_mid_training_redelivers_and_registers_exactly_one_version(artifacts_dir):
    emotion_dataset_in_db(subjects=6, frames_per_class=40)
    queues_purge()
    long_run = {"epochs": 25, "batch_size": 16, "patience": 25}
    with celery_worker(artifacts_dir / "worker.log", lock_ttl_s=4) as worker:
        child = pool_child_pid(worker)
        run, _ = training_run_request(kind="emotion", trigger="test", params=long_run)
        wait_for(
            lambda: _run(run.pk).step == "training" and len(_run(run.pk).curves) >= 2,
            timeout=240,
            interval=0.05,
            what="training to be under way",
        )
        os.kill(child, signal.SIGKILL)
        # The lost pool process's message is rejected back to the queue (acks_late +
        # reject_on_worker_lost) and delivered to the fresh pool process; it waits for
        # the dead attempt's lease to expire, then restarts the run.
        wait_for(lambda: _run(run.pk).attempts >= 2, timeout=120, what="a second delivery")
        wait_for(
            lambda: _run(run.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
            timeout=300,
            what="the redelivered run to finish",
        )
    run = _run(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error or run.log
    assert "restarted" in run.log
    assert ModelVersion.objects.filter(kind="emotion").count() == 1
    assert ModelVersion.objects.get(kind="emotion").source_run_id == run.pk


def test_whole_worker_killed_mid_training_run_is_delivered_again_after_restart(
    artifacts_dir, settings
):
    """SIGKILL of the worker and its pool: Redis restores the unacknowledged message after
    the visibility timeout; the filesystem broker has lost it, so beat's recovery pass
    (run here as beat would) re-sends the run once its lease has expired."""
    settings.RETRAIN_LOCK_TTL_S = 4  # as in the worker: the recovery pass's staleness cutoff
    emotion_dataset_in_db(subjects=6, frames_per_class=40)
    queues_purge()
    params = {"epochs": 25, "batch_size": 16, "patience": 25}
    log = artifacts_dir / "worker.log"
    with celery_worker(log, lock_ttl_s=4, visibility_s=6) as worker:
        run, _ = training_run_request(kind="emotion", trigger="test", params=params)
        wait_for(
            lambda: len(_run(run.pk).curves) >= 2,
            timeout=240,
            interval=0.05,
            what="training to be under way",
        )
        for proc in [
            *psutil.Process(worker.pid).children(recursive=True),
            psutil.Process(worker.pid),
        ]:
            proc.kill()
        worker.wait(timeout=10)
    assert _run(run.pk).status == RunStatus.RUNNING, "the dead worker left the run running"
    with celery_worker(log, lock_ttl_s=4, visibility_s=6):
        if not os.environ.get("REDIS_URL"):
            wait_for(
                lambda: retrain_recover_stale.apply().get(),
                timeout=30,
                interval=1,
                what="the recovery pass to find the stale run",
            )
        wait_for(
            lambda: _run(run.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
            timeout=300,
            what="the run to finish after the restart",
        )
    run = _run(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error or run.log
    assert run.attempts >= 2 and "restarted" in run.log
    assert ModelVersion.objects.filter(kind="emotion").count() == 1
