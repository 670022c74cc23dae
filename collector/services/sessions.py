"""Session lifecycle: opened by the participant flow, started/ended by the stream or the flow."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collector.models import Participant, Session, SessionStatus


class SessionEnded(Exception):
    """The session is over; no more frames or events are accepted."""


def session_open(*, participant: Participant, user_agent: str = "") -> Session:
    """The participant's unfinished session, or a new one."""
    existing = (
        participant.sessions.exclude(status=SessionStatus.ENDED).order_by("-created_at").first()
    )
    if existing is not None:
        return existing
    return Session.objects.create(participant=participant, user_agent=user_agent[:400])


def session_start(*, session: Session) -> Session:
    """Mark recording started (first stream connection); ended sessions stay ended."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.status == SessionStatus.ENDED:
            raise SessionEnded("This session has already ended.")
        if locked.status == SessionStatus.CREATED:
            locked.status = SessionStatus.ACTIVE
            locked.started_at = timezone.now()
            locked.save(update_fields=["status", "started_at"])
        return locked


def session_end(*, session: Session) -> Session:
    """End the session; idempotent."""
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.ENDED:
            locked.status = SessionStatus.ENDED
            locked.ended_at = timezone.now()
            locked.save(update_fields=["status", "ended_at"])
        return locked
