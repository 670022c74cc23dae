"""Beat tasks: retrain when enough sessions were newly labeled; re-send stale runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from retraining.models import RunStatus, TrainingRun
from retraining.tasks import retrain_if_due, retrain_recover_stale
from tests.factories import ParticipantFactory
from tests.retraining.factories import gold_segment_create, labeled_session
from tests.retraining.worker import queues_purge

pytestmark = pytest.mark.django_db


def _labeled_sessions(n: int) -> None:
    for _ in range(n):
        session, t_ms = labeled_session(participant=ParticipantFactory(), labels=[0] * 8)
        gold_segment_create(session=session, start_ms=0, end_ms=t_ms[-1], label="happy")


def test_retrain_if_due_waits_for_n_newly_labeled_sessions(
    settings, django_capture_on_commit_callbacks
):
    settings.RETRAIN_MIN_NEW_SESSIONS = 2
    _labeled_sessions(1)
    assert retrain_if_due.apply().get() == {}
    assert not TrainingRun.objects.exists()
    _labeled_sessions(1)
    with django_capture_on_commit_callbacks() as callbacks:
        started = retrain_if_due.apply().get()
    run = TrainingRun.objects.get(kind="emotion")
    assert started["emotion"] == run.pk and run.trigger == "schedule"
    assert len(callbacks) >= 1
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    assert "emotion" not in retrain_if_due.apply().get(), "no new labels since that run"


def test_recover_stale_resends_runs_whose_worker_went_silent(settings):
    settings.RETRAIN_LOCK_TTL_S = 60
    old = timezone.now() - timedelta(minutes=5)
    stale = TrainingRun.objects.create(kind="emotion", status=RunStatus.RUNNING, heartbeat_at=old)
    TrainingRun.objects.create(kind="stress", status=RunStatus.RUNNING, heartbeat_at=timezone.now())
    try:
        assert retrain_recover_stale.apply().get() == [stale.pk]
    finally:
        queues_purge()
