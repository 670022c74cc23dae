"""Withdrawal deletes everything recorded from the participant in one go, and nothing else."""
from __future__ import annotations

import uuid

import numpy as np
import pytest
from django.contrib.admin.utils import NestedObjects
from django.db import DEFAULT_DB_ALIAS
from django.urls import reverse

from collector.models import (
    AuditAction,
    AuditEvent,
    ConsentRecord,
    FrameChunk,
    Participant,
    QuestionnaireResponse,
    Session,
    SessionEvent,
)
from collector.services.frames import frame_chunk_store
from collector.services.questionnaires import questionnaire_response_create
from collector.services.withdrawal import ParticipantNotFound, participant_withdraw
from ml.features import FEATURE_DIM
from tests.factories import ConsentRecordFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db


def participant_with_data(demographics=None) -> Participant:
    participant = ParticipantFactory(demographics=demographics or {"age": 30})
    ConsentRecordFactory(participant=participant)
    for _ in range(2):
        session = SessionFactory(participant=participant)
        frame_chunk_store(
            session=session, first_seq=0, t_ms=np.arange(5, dtype=np.float64) * 100,
            presence=np.ones((5, 2), np.uint8),
            features=np.random.default_rng(0).random((5, FEATURE_DIM), dtype=np.float32),
        )
        SessionEvent.objects.create(session=session, eid=uuid.uuid4(), name="phase_start",
                                    t_ms=0.0)
        questionnaire_response_create(participant=participant, instrument="vas",
                                      timing="in_session", answers={"stress": 40},
                                      session=session)
    questionnaire_response_create(participant=participant, instrument="vas", timing="pre",
                                  answers={"stress": 20})
    return participant


def cascade_objects(participant: Participant) -> set[tuple[type, object]]:
    """Every row that hangs off the participant (any app's tables, through any FK chain)."""
    collector = NestedObjects(using=DEFAULT_DB_ALIAS)
    collector.collect([participant])
    return {(type(obj), obj.pk) for obj in _flatten(collector.nested(lambda obj: obj))}


def _flatten(nested) -> list:
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def test_withdrawal_leaves_nothing_of_the_participant():
    participant = participant_with_data()
    bystander = participant_with_data()
    before = cascade_objects(participant)
    assert {model for model, _ in before} >= {
        Participant, ConsentRecord, Session, FrameChunk, SessionEvent, QuestionnaireResponse
    }

    result = participant_withdraw(code=participant.code.lower())

    assert result.sessions_deleted == 2 and result.responses_deleted == 3
    kept = {Participant, ConsentRecord}
    for model, pk in before:
        if model not in kept:
            assert not model.objects.filter(pk=pk).exists(), f"{model.__name__} {pk} remains"
    assert Session.objects.filter(participant=participant).count() == 0
    assert FrameChunk.objects.filter(session__participant=participant).count() == 0
    assert SessionEvent.objects.filter(session__participant=participant).count() == 0
    assert QuestionnaireResponse.objects.filter(participant=participant).count() == 0
    participant.refresh_from_db()
    assert participant.withdrawn_at is not None and participant.demographics == {}
    assert all(r.withdrawn_at is not None for r in participant.consent_records.all())
    # The bystander keeps everything.
    assert cascade_objects(bystander) and Session.objects.filter(participant=bystander).count() == 2
    assert FrameChunk.objects.filter(session__participant=bystander).count() == 2


def test_withdrawal_audit_event_has_no_personal_data():
    participant = participant_with_data(demographics={"age": 41, "gender": "Woman"})
    participant_withdraw(code=participant.code)
    event = AuditEvent.objects.get(action=AuditAction.WITHDRAWAL)
    text = str(event.details) + event.object_id + event.object_type
    assert participant.code not in text and "41" not in text and "Woman" not in text
    assert event.details == {"sessions_deleted": 2, "responses_deleted": 3}


def test_unknown_or_repeated_code_is_rejected():
    participant = participant_with_data()
    with pytest.raises(ParticipantNotFound):
        participant_withdraw(code="NOTACODE")
    participant_withdraw(code=participant.code)
    with pytest.raises(ParticipantNotFound):
        participant_withdraw(code=participant.code)


def test_withdraw_page_deletes_and_confirms(client):
    participant = participant_with_data()
    page = client.post(reverse("collector:withdraw"), {"code": "wrong", "confirm": "on"})
    assert page.status_code == 200 and b"No active participant" in page.content
    spaced = f" {participant.code[:4]}-{participant.code[4:].lower()} "
    response = client.post(reverse("collector:withdraw"), {"code": spaced, "confirm": "on"})
    assert response.url == reverse("collector:withdraw_done")
    assert Session.objects.filter(participant=participant).count() == 0
