"""Questionnaire instruments by code; each has its items and a score(answers) function."""
from __future__ import annotations

from collector.questionnaires.base import Answers, Instrument, Item, Scores
from collector.questionnaires.pss10 import PSS10
from collector.questionnaires.ratings import NASA_TLX, SAM, VAS
from collector.questionnaires.stai6 import STAI6

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument for instrument in (PSS10, STAI6, SAM, VAS, NASA_TLX)
}
TIMINGS = ("pre", "post", "in_session")

__all__ = ["INSTRUMENTS", "TIMINGS", "Answers", "Instrument", "Item", "Scores"]
