"""Storing questionnaire answers: validated, scored, and saved in one row."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collector.models import Participant, QuestionnaireResponse, Session
from collector.questionnaires import INSTRUMENTS, TIMINGS


class QuestionnaireInvalid(Exception):
    """Answers that cannot be stored; errors maps item code (or "__all__") to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def questionnaire_response_create(
    *,
    participant: Participant,
    instrument: str,
    timing: str,
    answers: Mapping[str, Any],
    session: Session | None = None,
    response_time_ms: int | None = None,
) -> QuestionnaireResponse:
    """Validate every item, score, and store; nothing is saved when any answer is invalid."""
    definition = INSTRUMENTS.get(instrument)
    if definition is None:
        raise QuestionnaireInvalid({"__all__": f"Unknown questionnaire {instrument!r}."})
    if timing not in TIMINGS:
        raise QuestionnaireInvalid({"__all__": f"Unknown timing {timing!r}."})
    if participant.withdrawn_at is not None:
        raise QuestionnaireInvalid({"__all__": "This participant has withdrawn."})
    clean, errors = definition.validate(answers)
    if errors:
        raise QuestionnaireInvalid(errors)
    if response_time_ms is not None:
        response_time_ms = max(0, int(response_time_ms))
    return QuestionnaireResponse.objects.create(
        participant=participant,
        session=session,
        instrument=instrument,
        timing=timing,
        answers=clean,
        scores=definition.score(clean),
        response_time_ms=response_time_ms,
    )
