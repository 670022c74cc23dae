"""Pseudonymous participants: a random code and optional, study-defined demographics."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from collector.models import Participant, Study

# No 0/O, 1/I/L: codes are read from a screen and typed back in to withdraw.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class DemographicsInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def participant_code_generate() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Participant.objects.filter(code=code).exists():
            return code


def participant_code_normalize(raw: str) -> str:
    """What the participant typed, as stored: upper case without spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def participant_create(*, study: Study) -> Participant:
    return Participant.objects.create(study=study, code=participant_code_generate())


def demographics_clean(*, study: Study, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values for every field the study defines (None when skipped), or DemographicsInvalid.

    Field definitions: {"name", "label", "type": "int"|"text"|"choice", "required",
    "choices": [...], "min", "max"}.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in study.demographics:
        name = field["name"]
        value = str(raw.get(name, "") or "").strip()
        if not value:
            if field.get("required"):
                errors[name] = "This field is required."
            values[name] = None
            continue
        kind = field.get("type", "text")
        if kind == "int":
            try:
                number = int(value)
            except ValueError:
                errors[name] = "Enter a whole number."
                continue
            low, high = field.get("min"), field.get("max")
            if (low is not None and number < low) or (high is not None and number > high):
                errors[name] = f"Enter a number from {low} to {high}."
                continue
            values[name] = number
        elif kind == "choice":
            if value not in field.get("choices", []):
                errors[name] = "Choose one of the options."
                continue
            values[name] = value
        else:
            values[name] = value[:200]
    if errors:
        raise DemographicsInvalid(errors)
    return values


def participant_demographics_set(
    *, participant: Participant, answers: Mapping[str, Any]
) -> Participant:
    participant.demographics = demographics_clean(study=participant.study, raw=answers)
    participant.save(update_fields=["demographics"])
    return participant
