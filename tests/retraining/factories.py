"""Factories and synthetic data for the retraining tests (frames are synthetic)."""

from __future__ import annotations

import numpy as np
from django.utils import timezone

from collector.models import Participant, Session, SessionStatus, Study
from ml.features import EMOTIONS
from retraining.synthetic import synthetic_frames, synthetic_session_store
from tests.factories import ParticipantFactory, SessionFactory, StudyFactory


def labeled_session(
    *,
    participant: Participant,
    labels: np.ndarray,
    seed: int = 0,
    face_ok: np.ndarray | None = None,
) -> tuple[Session, np.ndarray]:
    """A session whose synthetic frames encode `labels` (emotion indices), stored in chunks."""
    rng = np.random.default_rng(seed)
    session = SessionFactory(participant=participant)
    frames = synthetic_frames(labels, rng=rng, subject_shift=rng.normal(0, 0.01))
    t_ms = synthetic_session_store(session=session, frames=frames, face_ok=face_ok)
    Session.objects.filter(pk=session.pk).update(
        status=SessionStatus.ENDED, ended_at=timezone.now()
    )
    session.refresh_from_db()
    return session, t_ms


def emotion_blocks(n_per_block: int, classes: list[int]) -> np.ndarray:
    """Consecutive blocks of frames, one block per class."""
    return np.repeat(np.asarray(classes, dtype=np.int64), n_per_block)


def emotion_dataset_in_db(*, subjects: int, frames_per_class: int) -> Study:
    """A study whose subjects each have one session showing all seven classes in turn,
    every block covered by a gold emotion segment."""
    study = StudyFactory()
    for s in range(subjects):
        labels = emotion_blocks(frames_per_class, list(range(len(EMOTIONS))))
        session, t_ms = labeled_session(
            participant=ParticipantFactory(study=study), labels=labels, seed=s
        )
        for cls in range(len(EMOTIONS)):
            block = t_ms[cls * frames_per_class : (cls + 1) * frames_per_class]
            gold_segment_create(
                session=session, start_ms=block[0], end_ms=block[-1], label=EMOTIONS[cls]
            )
    return study


def gold_segment_create(*, session, start_ms, end_ms, label: str, kind: str = "emotion") -> None:
    """A gold segment that labeling.selectors.gold_segments will return, written the
    way a researcher's adjudication writes it."""
    from labeling.services.consensus import gold_adjudicate

    gold_adjudicate(
        session=session, kind=kind, label=label, start_ms=start_ms, end_ms=end_ms, actor=None
    )
