"""Withdrawal: a participant's recorded data is deleted; only the fact of consent remains."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from collector.models import AuditAction, Participant
from collector.services.audit import audit_record
from collector.services.participants import participant_code_normalize


class ParticipantNotFound(Exception):
    """No active participant has this code."""


@dataclass(frozen=True)
class WithdrawalResult:
    sessions_deleted: int
    responses_deleted: int


def participant_withdraw(*, code: str) -> WithdrawalResult:
    """Delete sessions (with frames, events and annotations by cascade), responses and
    demographics, and mark participant and consent records withdrawn, in one transaction."""
    normalized = participant_code_normalize(code)
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update()
            .filter(code=normalized, withdrawn_at__isnull=True)
            .select_related("study")
            .first()
        )
        if participant is None or not normalized:
            raise ParticipantNotFound(
                "No active participant has this code. Check it and try again."
            )
        now = timezone.now()
        sessions = participant.sessions.count()
        responses = participant.responses.count()
        participant.responses.all().delete()
        participant.sessions.all().delete()
        participant.demographics = {}
        participant.withdrawn_at = now
        participant.save(update_fields=["demographics", "withdrawn_at"])
        participant.consent_records.update(withdrawn_at=now)
        # Counts only: the audit log carries no code or other participant data.
        audit_record(
            action=AuditAction.WITHDRAWAL,
            study=participant.study,
            details={"sessions_deleted": sessions, "responses_deleted": responses},
        )
    return WithdrawalResult(sessions_deleted=sessions, responses_deleted=responses)
