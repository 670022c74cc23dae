"""The retrain task in-process: idempotency, the promotion rule, rollback, audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.models import AuditAction, AuditEvent
from retraining.evaluation import held_out_score
from retraining.models import ModelVersion, RunStatus, TrainingRun
from retraining.services.registry import (
    RollbackInvalid,
    model_version_rollback,
    promotion_decide,
)
from retraining.tasks import retrain
from tests.factories import UserFactory
from tests.retraining.factories import emotion_dataset_in_db

pytestmark = pytest.mark.django_db

GOOD = {"epochs": 8, "batch_size": 32, "patience": 8, "lr": 3e-3}
# A learning rate this small leaves the network at its random start: a worse model.
BAD = {"epochs": 1, "batch_size": 32, "patience": 1, "lr": 1e-9}


def _retrain(params: dict) -> TrainingRun:
    run = TrainingRun.objects.create(kind="emotion", params=params)
    retrain.apply(args=[run.pk]).get()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def test_promotion_rule_table():
    assert promotion_decide(candidate=0.5, incumbent=None, has_incumbent=False)[0]
    assert not promotion_decide(candidate=None, incumbent=None, has_incumbent=False)[0]
    assert promotion_decide(candidate=0.61, incumbent=0.60, has_incumbent=True)[0]
    assert not promotion_decide(candidate=0.60, incumbent=0.60, has_incumbent=True)[0]
    assert not promotion_decide(candidate=0.40, incumbent=0.60, has_incumbent=True)[0]


def test_new_version_is_promoted_only_when_it_beats_the_promoted_one_on_the_same_split():
    emotion_dataset_in_db(subjects=6, frames_per_class=20)

    first = _retrain(BAD).model_version
    assert first.promoted and first.comparison["reason"].startswith("first version")

    second = _retrain(GOOD).model_version
    first.refresh_from_db()
    assert second.comparison["incumbent_version"] == 1
    assert second.comparison["candidate"] > second.comparison["incumbent"]
    assert second.promoted and not first.promoted

    third_run = _retrain(BAD)
    third = third_run.model_version
    second.refresh_from_db()
    assert not third.promoted and second.promoted
    assert third.comparison["incumbent_version"] == 2
    assert third.comparison["candidate"] <= third.comparison["incumbent"]

    # The incumbent's score is its ONNX model scored on the new run's held-out subjects.
    from retraining.datasets import training_set_assemble

    ds = training_set_assemble(kind="emotion").dataset
    split = {"test": third.comparison["test_groups"]}
    assert split["test"], "the held-out subjects are recorded"
    assert held_out_score("emotion", Path(second.onnx.path), ds, split) == pytest.approx(
        third.comparison["incumbent"]
    )

    promotions = AuditEvent.objects.filter(action=AuditAction.MODEL_PROMOTION)
    assert promotions.count() == 2
    latest = promotions.order_by("-at", "-pk").first()
    assert latest.details["version"] == 2 and latest.details["previous_version"] == 1
    assert ModelVersion.objects.filter(kind="emotion", promoted=True).count() == 1


def test_retrain_is_idempotent_by_run_id():
    emotion_dataset_in_db(subjects=4, frames_per_class=10)
    run = _retrain({"epochs": 2})
    assert retrain.apply(args=[run.pk]).get() == RunStatus.SUCCEEDED
    assert ModelVersion.objects.filter(source_run=run).count() == 1
    assert retrain.apply(args=[987654]).get() == "missing"


def test_bad_parameters_fail_the_run_with_a_clear_error():
    emotion_dataset_in_db(subjects=4, frames_per_class=10)
    run = TrainingRun.objects.create(kind="emotion", params={"epochz": 3})
    assert retrain.apply(args=[run.pk]).get() == RunStatus.FAILED
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "unknown emotion training parameters" in run.error
    assert run.finished_at is not None and not ModelVersion.objects.exists()


def test_rollback_from_the_admin_promotes_the_earlier_version_and_is_audited(admin_client):
    emotion_dataset_in_db(subjects=6, frames_per_class=20)
    first = _retrain(BAD).model_version
    second = _retrain(GOOD).model_version
    assert second.promoted
    response = admin_client.post(
        "/admin/retraining/modelversion/",
        {"action": "rollback_to_version", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.promoted and not second.promoted
    event = AuditEvent.objects.get(action=AuditAction.MODEL_ROLLBACK)
    assert event.details["version"] == 1 and event.details["previous_version"] == 2
    assert event.actor is not None
    with pytest.raises(RollbackInvalid, match="already the promoted"):
        model_version_rollback(version=first, actor=UserFactory())
