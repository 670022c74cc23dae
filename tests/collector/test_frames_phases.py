"""Reading a session back: frames, timestamps and the phase of each frame."""
from __future__ import annotations

import uuid

import numpy as np
import pytest

from collector.models import SessionEvent
from collector.selectors.frames import frame_phase_labels, session_frames_with_phases
from collector.services.frames import FrameGap, FrameTimeNotMonotonic, frame_chunk_store
from tests.collector.capture_support import consented_session, frames


def test_frames_outside_any_phase_are_unlabelled():
    t = np.array([0.0, 1.0, 5.0, 11.0, 12.0, 15.0, 25.0])
    events = [("phase_start", 1.0, "a"), ("phase_end", 10.0, "a"),
              ("phase_start", 12.0, "b"), ("phase_end", 20.0, "b")]
    assert frame_phase_labels(t_ms=t, events=events).tolist() == ["", "a", "a", "", "b", "b", ""]


def test_a_restarted_phase_labels_from_its_latest_start():
    t = np.array([2.0, 6.0, 9.0])
    events = [("phase_start", 1.0, "a"), ("phase_start", 5.0, "a"), ("phase_end", 8.0, "a")]
    assert frame_phase_labels(t_ms=t, events=events).tolist() == ["a", "a", ""]


@pytest.mark.django_db
def test_session_frames_with_phases_aligns_labels_to_stored_frames():
    session = consented_session()
    for first in (0, 8, 16):
        frame_chunk_store(session=session, first_seq=first, **frames(first, 8))
    for name, t_ms, phase in [("phase_start", 0.0, "baseline"), ("phase_end", 300.0, "baseline"),
                              ("phase_start", 400.0, "stroop")]:
        SessionEvent.objects.create(session=session, eid=uuid.uuid4(), name=name, t_ms=t_ms,
                                    data={"phase": phase})
    result = session_frames_with_phases(session=session)
    assert result.features.shape == (24, 1536) and result.features.dtype == np.float32
    expected = np.where(result.t_ms <= 300, "baseline", np.where(result.t_ms >= 400, "stroop", ""))
    assert result.phase.tolist() == expected.tolist()


@pytest.mark.django_db
def test_store_rejects_gaps_and_time_going_back_without_writing():
    session = consented_session()
    frame_chunk_store(session=session, first_seq=0, **frames(0, 8))
    with pytest.raises(FrameGap) as gap:
        frame_chunk_store(session=session, first_seq=9, **frames(9, 8))
    assert gap.value.next_seq == 8
    with pytest.raises(FrameTimeNotMonotonic):
        frame_chunk_store(session=session, first_seq=8, **frames(0, 8))
    session.refresh_from_db()
    assert session.frame_count == 8 and session.chunks.count() == 1
