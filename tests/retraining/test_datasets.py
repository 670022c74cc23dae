"""Dataset assembly from stored frames, gold labels, stress rules and uploads."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from django.utils import timezone

from collector.models import SessionEvent
from ml.dataset import LandmarkDataset, save_npz
from retraining.datasets import DatasetEmpty, Intervals, training_set_assemble
from retraining.models import DatasetUpload, StressLabelRule
from tests.factories import ParticipantFactory, StudyFactory
from tests.retraining.factories import emotion_blocks, gold_segment_create, labeled_session

pytestmark = pytest.mark.django_db


def test_interval_lookup_is_nan_outside_and_the_value_inside():
    iv = Intervals.build([(100.0, 200.0, 3.0), (0.0, 50.0, 1.0)])
    t = np.array([-1.0, 0.0, 50.0, 75.0, 150.0, 200.0, 201.0])
    out = iv.lookup(t)
    np.testing.assert_array_equal(np.isnan(out), [True, False, False, True, False, False, True])
    np.testing.assert_array_equal(out[[1, 2, 4, 5]], [1.0, 1.0, 3.0, 3.0])


def test_emotion_set_holds_face_frames_inside_gold_segments_only():
    participant = ParticipantFactory()
    labels = emotion_blocks(100, [0, 1])  # 200 frames at 15 fps
    face_ok = np.ones(200, np.uint8)
    face_ok[10] = 0
    session, t_ms = labeled_session(participant=participant, labels=labels, face_ok=face_ok)
    gold_segment_create(session=session, start_ms=t_ms[0], end_ms=t_ms[99], label="happy")
    gold_segment_create(session=session, start_ms=t_ms[120], end_ms=t_ms[159], label="sad")

    built = training_set_assemble(kind="emotion")
    ds = built.dataset
    assert ds.X.shape == (99 + 40, 1536) and ds.X.dtype == np.float32
    assert (ds.y == 0).sum() == 99 and (ds.y == 1).sum() == 40
    assert set(ds.groups) == {participant.code}
    assert set(ds.extras["session"]) == {str(session.uuid)}
    assert set(ds.source) == {f"stresslab:{participant.study.slug}"}
    assert built.counts["per_class"]["happy"] == 99 and built.counts["frames"] == 139
    assert training_set_assemble(kind="emotion").sha256 == built.sha256, "hash is deterministic"


def test_withdrawn_participants_are_never_included():
    study = StudyFactory()
    kept, gone = ParticipantFactory(study=study), ParticipantFactory(study=study)
    for p in (kept, gone):
        session, t_ms = labeled_session(participant=p, labels=emotion_blocks(64, [2]))
        gold_segment_create(session=session, start_ms=0, end_ms=t_ms[-1], label="neutral")
        _phase(session, "baseline", 0, t_ms[-1])
    StressLabelRule.objects.create(study=study, mode="phase", phase_labels={"baseline": 0})
    gone.withdrawn_at = timezone.now()
    gone.save()
    for kind in ("emotion", "stress"):
        ds = training_set_assemble(kind=kind).dataset
        assert set(ds.groups) == {kept.code}, kind
        assert len(ds.y) == 64


def _phase(session, name: str, start: float, end: float) -> None:
    for event, t in (("phase_start", start), ("phase_end", end)):
        SessionEvent.objects.create(
            session=session, eid=uuid.uuid4(), name=event, t_ms=t, data={"phase": name}
        )


def test_stress_phase_rule_maps_baseline_to_0_and_tasks_to_1():
    study = StudyFactory()
    StressLabelRule.objects.create(
        study=study, mode="phase", phase_labels={"baseline": 0, "stroop": 1}
    )
    session, t_ms = labeled_session(
        participant=ParticipantFactory(study=study), labels=emotion_blocks(100, [2, 3, 4])
    )
    _phase(session, "baseline", t_ms[0], t_ms[99])
    _phase(session, "instructions", t_ms[100], t_ms[149])  # unmapped: unlabeled
    _phase(session, "stroop", t_ms[150], t_ms[299])
    ds = training_set_assemble(kind="stress").dataset
    stress = ds.extras["stress"]
    assert (stress == 0).sum() == 100 and (stress == 1).sum() == 150
    sequences = ds.extras["session"]
    assert len(set(sequences[stress == 0]) & set(sequences[stress == 1])) == 0, (
        "the unlabeled gap splits the session into separate sequences"
    )


def test_stress_self_report_rule_labels_frames_before_each_rating():
    study = StudyFactory()
    StressLabelRule.objects.create(study=study, mode="self_report", threshold=60)
    session, t_ms = labeled_session(
        participant=ParticipantFactory(study=study), labels=emotion_blocks(100, [2, 2])
    )
    for t, value in ((t_ms[99], 20), (t_ms[199], 85)):
        data = {"phase": "rating", "responses": {"vas": {"stress": value}}}
        SessionEvent.objects.create(
            session=session, eid=uuid.uuid4(), name="rating", t_ms=t, data=data
        )
    stress = training_set_assemble(kind="stress").dataset.extras["stress"]
    assert len(stress) == 200
    assert (stress[:99] == 0).all() and (stress[101:] == 1).all()


def test_uploaded_npz_rows_join_the_emotion_set(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    n = 30
    rng = np.random.default_rng(0)
    upload_ds = LandmarkDataset(
        X=rng.normal(size=(n, 1536)).astype(np.float32),
        y=np.where(np.arange(n) < 20, 4, -1).astype(np.int64),
        groups=np.array([f"synthetic-{i % 3}" for i in range(n)]),
        t=np.zeros(n),
        source=np.array(["synthetic"] * n),
        extras={},
    )
    (tmp_path / "datasets").mkdir()
    save_npz(upload_ds, tmp_path / "datasets" / "synthetic.npz")
    DatasetUpload.objects.create(name="synthetic", file="datasets/synthetic.npz")
    built = training_set_assemble(kind="emotion")
    assert len(built.dataset.y) == 20 and set(built.dataset.y) == {4}
    assert built.counts["upload_rows"] == 20
    assert set(built.dataset.source) == {"synthetic"}


def test_no_labels_is_a_clear_error():
    labeled_session(participant=ParticipantFactory(), labels=emotion_blocks(10, [0]))
    with pytest.raises(DatasetEmpty, match="no labeled frames"):
        training_set_assemble(kind="emotion")
