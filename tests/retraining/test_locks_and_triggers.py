"""The per-kind lease, trigger de-duplication and the beat schedule."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings

from config.celery import app
from retraining.locks import (
    LockLost,
    kind_lock_acquire,
    kind_lock_release,
    kind_lock_renew,
)
from retraining.models import RunStatus, TrainingRun
from retraining.services.runs import training_run_request

pytestmark = pytest.mark.django_db


def test_second_token_cannot_take_a_held_lease():
    run = TrainingRun.objects.create(kind="emotion")
    assert kind_lock_acquire(kind="emotion", token="a", run_id=run.pk)
    assert not kind_lock_acquire(kind="emotion", token="b", run_id=run.pk)
    assert kind_lock_acquire(kind="emotion", token="a", run_id=run.pk), "holder re-enters"
    assert kind_lock_acquire(kind="stress", token="b", run_id=run.pk), "kinds are independent"
    kind_lock_release(kind="emotion", token="a")
    assert kind_lock_acquire(kind="emotion", token="b", run_id=run.pk)


def test_expired_lease_is_taken_over_and_old_holder_learns_it(settings):
    run = TrainingRun.objects.create(kind="emotion")
    settings.RETRAIN_LOCK_TTL_S = -1  # every lease is already expired
    assert kind_lock_acquire(kind="emotion", token="dead-worker", run_id=run.pk)
    assert kind_lock_acquire(kind="emotion", token="new-attempt", run_id=run.pk)
    with pytest.raises(LockLost):
        kind_lock_renew(kind="emotion", token="dead-worker")


def test_two_triggers_give_one_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first, created_first = training_run_request(kind="emotion", trigger="admin")
        second, created_second = training_run_request(kind="emotion", trigger="schedule")
    assert created_first and not created_second
    assert first.pk == second.pk
    assert TrainingRun.objects.filter(kind="emotion").count() == 1
    assert len(callbacks) == 1, "only the created run is enqueued"
    other, created_other = training_run_request(kind="stress")
    assert created_other and other.pk != first.pk


def test_a_finished_run_lets_the_next_trigger_create_a_new_run(django_capture_on_commit_callbacks):
    run, _ = training_run_request(kind="stress")
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    again, created = training_run_request(kind="stress")
    assert created and again.pk != run.pk


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        training_run_request(kind="mood")


@pytest.mark.django_db(transaction=True)
def test_concurrent_triggers_race_to_one_run(monkeypatch):
    """Eight threads trigger at once (separate DB connections): one run exists after."""
    monkeypatch.setattr("retraining.services.runs.training_run_enqueue", lambda run_id: None)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def trigger():
        from django.db import connections

        try:
            barrier.wait()
            results.append(training_run_request(kind="emotion", trigger="race"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=trigger) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert TrainingRun.objects.filter(kind="emotion").count() == 1
    assert sum(created for _, created in results) == 1
    assert len({run.pk for run, _ in results}) == 1


def test_beat_schedule_runs_the_retraining_and_inference_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    app.loader.import_default_modules()
    assert schedule["retrain-if-due"]["task"] == "retraining.tasks.retrain_if_due"
    assert schedule["retrain-if-due"]["schedule"] == settings.RETRAIN_SCHEDULE
    assert schedule["retrain-recover-stale"]["task"] == "retraining.tasks.retrain_recover_stale"
    assert schedule["sessions-infer-active"]["task"] == "retraining.tasks.sessions_infer_active"
    for entry in ("retrain-if-due", "retrain-recover-stale", "sessions-infer-active"):
        assert schedule[entry]["task"] in app.tasks, f"{entry} names a registered task"
    assert app.conf.task_routes["retraining.tasks.retrain"] == {"queue": "training"}
    assert app.conf.task_routes["retraining.tasks.session_infer"] == {"queue": "inference"}
    assert app.conf.worker_prefetch_multiplier == 1
    retrain = app.tasks["retraining.tasks.retrain"]
    assert retrain.acks_late and retrain.reject_on_worker_lost
    assert retrain.soft_time_limit == settings.RETRAIN_SOFT_TIME_LIMIT_S
    assert retrain.time_limit > retrain.soft_time_limit
