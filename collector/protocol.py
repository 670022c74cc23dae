"""The stress protocol as data: phases the participant page runs in order.

Phase kinds: instructions, rest, stroop, arithmetic (MIST-style), rating (SAM + stress VAS).
A study stores its own protocol in Study.protocol; shortened() makes every timed phase
last a few seconds for testing.
"""
from __future__ import annotations

import copy
from typing import Any

PHASE_KINDS = ("instructions", "rest", "stroop", "arithmetic", "rating")
TIMED_KINDS = ("instructions", "rest", "stroop", "arithmetic")

DEFAULT_PROTOCOL: dict[str, Any] = {
    "version": 1,
    "phases": [
        {
            "name": "instructions",
            "kind": "instructions",
            "duration_s": 60,
            "text": (
                "Sit comfortably facing the camera. You will rest, answer colour and "
                "arithmetic tasks, and rate how you feel in between."
            ),
        },
        {"name": "baseline", "kind": "rest", "duration_s": 180,
         "text": "Relax and look at the cross."},
        {"name": "rating_baseline", "kind": "rating", "scales": ["sam", "vas"]},
        {
            "name": "stroop",
            "kind": "stroop",
            "duration_s": 180,
            "trial_timeout_s": 2.5,
            "incongruent_ratio": 0.5,
            "colors": {"red": "r", "green": "g", "blue": "b", "yellow": "y"},
        },
        {"name": "rating_stroop", "kind": "rating", "scales": ["sam", "vas"]},
        {
            "name": "arithmetic",
            "kind": "arithmetic",
            "duration_s": 240,
            "time_limit_s": 6.0,
            "min_time_limit_s": 2.0,
            "average_score": 0.85,
        },
        {"name": "rating_arithmetic", "kind": "rating", "scales": ["sam", "vas"]},
        {"name": "recovery", "kind": "rest", "duration_s": 180,
         "text": "Relax again and look at the cross."},
        {"name": "rating_recovery", "kind": "rating", "scales": ["sam", "vas"]},
    ],
}


class ProtocolInvalid(ValueError):
    """A protocol document that the participant page could not run."""


def protocol_validate(protocol: dict[str, Any]) -> dict[str, Any]:
    """Return the protocol if runnable, else raise ProtocolInvalid naming the first problem."""
    if not isinstance(protocol, dict) or not isinstance(protocol.get("phases"), list):
        raise ProtocolInvalid('A protocol is an object with a "phases" list.')
    names = set()
    for index, phase in enumerate(protocol["phases"]):
        where = f"phase {index + 1}"
        if not isinstance(phase, dict):
            raise ProtocolInvalid(f"{where} must be an object.")
        name, kind = phase.get("name"), phase.get("kind")
        if not isinstance(name, str) or not name:
            raise ProtocolInvalid(f"{where} needs a name.")
        if name in names:
            raise ProtocolInvalid(f"{where}: the name {name!r} is used twice.")
        names.add(name)
        if kind not in PHASE_KINDS:
            kinds = ", ".join(PHASE_KINDS)
            raise ProtocolInvalid(f"{where} ({name}): kind must be one of {kinds}.")
        duration = phase.get("duration_s")
        if kind in TIMED_KINDS and kind != "instructions" and duration is None:
            raise ProtocolInvalid(f"{where} ({name}): a {kind} phase needs duration_s.")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0
        ):
            raise ProtocolInvalid(f"{where} ({name}): duration_s must be a positive number.")
    return protocol


def protocol_for_study(protocol: dict[str, Any] | None) -> dict[str, Any]:
    """The protocol the page runs: the study's own, or the default when it has none."""
    if not protocol:
        return copy.deepcopy(DEFAULT_PROTOCOL)
    return protocol_validate(protocol)


def shortened(protocol: dict[str, Any], seconds: float) -> dict[str, Any]:
    """A copy where every timed phase lasts at most `seconds` (for tests and demos)."""
    protocol_validate(protocol)
    short = copy.deepcopy(protocol)
    for phase in short["phases"]:
        if phase["kind"] in TIMED_KINDS:
            phase["duration_s"] = min(phase.get("duration_s", seconds), seconds)
    return short
