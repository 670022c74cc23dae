"""Live inference with the promoted ONNX models: incremental passes, selector, endpoint."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from django.urls import reverse

from collector.models import SessionEvent, SessionStatus, StudyMembership
from retraining.models import SessionPrediction, StressLabelRule, TrainingRun
from retraining.selectors import (
    session_predictions,
    session_prelabels,
    sessions_needing_inference,
)
from retraining.synthetic import synthetic_frames, synthetic_session_store
from retraining.tasks import retrain, session_infer
from tests.factories import ParticipantFactory, SessionFactory, StudyFactory, UserFactory
from tests.retraining.factories import emotion_dataset_in_db

pytestmark = pytest.mark.django_db


def _promote_models() -> None:
    study = emotion_dataset_in_db(subjects=4, frames_per_class=12)
    StressLabelRule.objects.create(
        study=study, mode="phase", phase_labels={"baseline": 0, "stroop": 1}
    )
    for session in SessionFactory._meta.model.objects.filter(participant__study=study):
        half = session.frame_count // 2
        for name, phase, t in (
            ("phase_start", "baseline", 0.0),
            ("phase_end", "baseline", half * 66.0),
            ("phase_start", "stroop", half * 66.0 + 1),
            ("phase_end", "stroop", session.frame_count * 67.0),
        ):
            SessionEvent.objects.create(
                session=session, eid=uuid.uuid4(), name=name, t_ms=t, data={"phase": phase}
            )
    for kind, params in (
        ("emotion", {"epochs": 2}),
        ("stress", {"epochs": 2, "window": 10, "stride": 5}),
    ):
        run = TrainingRun.objects.create(kind=kind, params=params)
        retrain.apply(args=[run.pk]).get()
        run.refresh_from_db()
        assert run.status == "succeeded", (kind, run.error)
        assert run.model_version.promoted, (kind, run.log)


def test_inference_extends_predictions_with_new_chunks_only():
    _promote_models()
    session = SessionFactory(status=SessionStatus.ACTIVE)
    rng = np.random.default_rng(5)
    synthetic_session_store(session=session, frames=synthetic_frames(np.zeros(128, int), rng=rng))
    assert session.pk in sessions_needing_inference()
    assert session_infer.apply(args=[session.pk]).get() == 128
    pred = SessionPrediction.objects.get(session=session)
    assert pred.next_seq == 128 and len(pred.emotion_probs) == 2  # one point per chunk
    first_points, first_stress = list(pred.emotion_probs), list(pred.stress)
    assert first_stress and all(0.0 <= s <= 1.0 for s in first_stress)
    assert session.pk not in sessions_needing_inference()

    synthetic_session_store(session=session, frames=synthetic_frames(np.zeros(64, int), rng=rng))
    assert session_infer.apply(args=[session.pk]).get() == 64, "only the new chunk is scored"
    pred.refresh_from_db()
    assert pred.next_seq == 192 and pred.emotion_probs[:2] == first_points
    assert len(pred.emotion_probs) == 3 and pred.stress[: len(first_stress)] == first_stress
    assert len(pred.stress) > len(first_stress)
    assert session_infer.apply(args=[session.pk]).get() == 0, "nothing new, nothing scored"

    out = session_predictions(session=session)
    assert out["model_versions"] == {"emotion": 1, "stress": 1}
    assert len(out["emotion_probs"][0]) == 7 and abs(sum(out["emotion_probs"][0]) - 1) < 1e-3
    assert out["current"]["emotion"] in out["emotions"] and "stress" in out["current"]


def test_predictions_endpoint_is_for_study_members_only(client):
    session = SessionFactory(participant=ParticipantFactory(study=StudyFactory()))
    url = reverse("retraining:session_predictions", args=[session.uuid])
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    member = UserFactory()
    StudyMembership.objects.create(study=session.study, user=member, role="researcher")
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200 and response.json() == {"predictions": None}


def test_prelabels_merge_model_outputs_into_labeling_segments(client):
    session = SessionFactory()
    SessionPrediction.objects.create(
        session=session,
        t_ms=[1000.0, 2000.0, 3000.0],
        emotion_probs=[[0.8] + [0.2 / 6] * 6, [0.6] + [0.4 / 6] * 6, [0.1, 0.7] + [0.04] * 5],
        stress_t_ms=[1500.0, 3000.0],
        stress=[0.1, 0.9],
    )
    prelabels = session_prelabels(session=session)
    assert prelabels["emotion"] == [
        {"start_ms": 0.0, "end_ms": 2000.0, "label": "happy", "confidence": 0.7},
        {"start_ms": 2000.0, "end_ms": 3000.0, "label": "sad", "confidence": 0.7},
    ]
    assert [s["label"] for s in prelabels["stress"]] == ["none", "high"]
    member = UserFactory()
    StudyMembership.objects.create(study=session.study, user=member, role="annotator")
    client.force_login(member)
    url = reverse("retraining:session_prelabels", args=[session.uuid])
    assert client.get(url).json()["prelabels"]["emotion"][0]["label"] == "happy"
