"""Capture stream services: tokens, admission checks, frame batches, events, live stats.

The websocket consumer only parses messages and calls these; each maps its domain
error to a close code (docs/protocol.md).
"""
from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction

from collector.models import ConsentRecord, Session, SessionEvent, SessionStatus
from collector.services.frames import frame_chunk_store
from collector.services.sessions import SessionEnded, session_end, session_start
from collector.wire import FrameBatch, WireError

logger = logging.getLogger(__name__)

TOKEN_SALT = "stresslab.capture"
EVENT_NAME_MAX = 64
RATING_EVENT = "rating"


class CaptureTokenInvalid(Exception):
    """The token is missing, forged, expired or issued for another session."""


class ConsentMissing(Exception):
    """The participant has no current consent or has withdrawn."""


@dataclass(frozen=True)
class CaptureSession:
    """What the stream needs to know about its session after admission."""

    pk: int
    uuid: str
    study_id: int
    participant_code: str


def capture_token_issue(*, session: Session) -> str:
    return signing.dumps({"session": str(session.uuid)}, salt=TOKEN_SALT, compress=True)


def capture_token_verify(*, token: str, session_uuid: str) -> None:
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=settings.CAPTURE_TOKEN_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise CaptureTokenInvalid("The capture token has expired; reload the page.") from exc
    except signing.BadSignature as exc:
        raise CaptureTokenInvalid("The capture token is not valid.") from exc
    if payload.get("session") != session_uuid:
        raise CaptureTokenInvalid("The capture token was issued for another session.")


def capture_admit(*, session_uuid: str, token: str) -> CaptureSession:
    """Check token, consent and session state before any frame is accepted."""
    capture_token_verify(token=token, session_uuid=session_uuid)
    session = (
        Session.objects.select_related("participant").filter(uuid=session_uuid).first()
    )
    if session is None:
        raise CaptureTokenInvalid("No such session.")
    participant = session.participant
    consented = ConsentRecord.objects.filter(
        participant=participant, withdrawn_at__isnull=True
    ).exists()
    if participant.withdrawn_at is not None or not consented:
        raise ConsentMissing("The participant has no current consent for this study.")
    if session.status == SessionStatus.ENDED:
        raise SessionEnded("This session has already ended.")
    return CaptureSession(
        pk=session.pk,
        uuid=str(session.uuid),
        study_id=participant.study_id,
        participant_code=participant.code,
    )


def capture_hello(*, capture: CaptureSession) -> int:
    """Start recording (idempotent) and return the next expected seq."""
    return session_start(session=Session(pk=capture.pk)).frame_count


def capture_batch_store(*, capture: CaptureSession, batch: FrameBatch) -> int:
    return frame_chunk_store(
        session=Session(pk=capture.pk),
        first_seq=batch.first_seq,
        t_ms=batch.t_ms,
        presence=batch.presence,
        features=batch.features,
    )


@dataclass(frozen=True)
class CaptureEvent:
    eid: uuid.UUID
    name: str
    t_ms: float
    data: dict[str, Any]


def capture_event_parse(message: dict[str, Any]) -> CaptureEvent:
    try:
        eid = uuid.UUID(str(message.get("eid")))
    except ValueError as exc:
        raise WireError("bad_event", "eid must be a UUID") from exc
    name = message.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= EVENT_NAME_MAX:
        raise WireError("bad_event", f"name must be a string of 1..{EVENT_NAME_MAX} characters")
    t_ms = message.get("t_ms")
    if isinstance(t_ms, bool) or not isinstance(t_ms, int | float) or not math.isfinite(t_ms):
        raise WireError("bad_event", "t_ms must be a finite number")
    data = message.get("data", {})
    if not isinstance(data, dict):
        raise WireError("bad_event", "data must be an object")
    return CaptureEvent(eid=eid, name=name, t_ms=float(t_ms), data=data)


def capture_event_store(*, capture: CaptureSession, event: CaptureEvent) -> bool:
    """Store an event once per eid; True when it is new. Ratings also become responses."""
    with transaction.atomic():
        status = Session.objects.select_for_update().values_list("status", flat=True).get(
            pk=capture.pk
        )
        if status == SessionStatus.ENDED:
            raise SessionEnded("This session has already ended.")
        _, created = SessionEvent.objects.get_or_create(
            session_id=capture.pk,
            eid=event.eid,
            defaults={"name": event.name, "t_ms": event.t_ms, "data": event.data},
        )
        if created and event.name == RATING_EVENT:
            _rating_response_create(capture=capture, data=event.data)
    return created


def _rating_response_create(*, capture: CaptureSession, data: dict[str, Any]) -> None:
    """In-session SAM / VAS ratings are questionnaire responses (timing "in_session")."""
    try:
        from collector.services.questionnaires import (
            QuestionnaireInvalid,
            questionnaire_response_create,
        )
    except ImportError:
        logger.warning("questionnaire service unavailable; rating kept as an event only")
        return
    session = Session.objects.select_related("participant").get(pk=capture.pk)
    for instrument, answers in (data.get("responses") or {}).items():
        try:
            with transaction.atomic():
                questionnaire_response_create(
                    participant=session.participant,
                    instrument=instrument,
                    timing="in_session",
                    answers=answers,
                    session=session,
                    response_time_ms=data.get("response_time_ms"),
                )
        except QuestionnaireInvalid as exc:
            logger.warning("in-session %s rating rejected: %s", instrument, exc)


def capture_end(*, capture: CaptureSession) -> int:
    """End the session (idempotent) and return how many frames it holds."""
    return session_end(session=Session(pk=capture.pk)).frame_count


def monitor_group(*, study_id: int) -> str:
    """The channel group a study's live monitor listens on."""
    return f"capture-monitor-{study_id}"


class LiveStats:
    """Per-connection figures for the monitor, published at most once per interval."""

    def __init__(self, *, capture: CaptureSession, interval_s: float = 1.0) -> None:
        self.capture = capture
        self.interval_s = interval_s
        self.phase = ""
        self.frames_stored = 0
        self._window_start: float | None = None
        self._window_frames = 0
        self._window_faces = 0
        self._last = {"fps": 0.0, "face_ratio": 0.0}

    def batch_stored(self, *, now: float, count: int, faces: int, next_seq: int) -> None:
        if self._window_start is None:
            self._window_start = now
        self._window_frames += count
        self._window_faces += faces
        self.frames_stored = next_seq

    def event_seen(self, *, event: CaptureEvent) -> None:
        if event.name == "phase_start":
            self.phase = str(event.data.get("phase", ""))
        elif event.name == "phase_end" and self.phase == event.data.get("phase"):
            self.phase = ""

    def message(self, *, state: str) -> dict[str, Any]:
        return {
            "type": "capture.stats",
            "session": self.capture.uuid,
            "participant": self.capture.participant_code,
            "state": state,
            "phase": self.phase,
            "frames_stored": self.frames_stored,
            **self._last,
        }

    def due(self, *, now: float) -> dict[str, Any] | None:
        """The stats message when an interval has passed since the window opened."""
        if self._window_start is None or now - self._window_start < self.interval_s:
            return None
        elapsed = now - self._window_start
        self._last = {
            "fps": round(self._window_frames / elapsed, 1) if elapsed > 0 else 0.0,
            "face_ratio": round(self._window_faces / max(self._window_frames, 1), 3),
        }
        self._window_start, self._window_frames, self._window_faces = now, 0, 0
        return self.message(state="streaming")
