"""Six-item short form of the STAI state scale (Marteau & Bekker 1992).

Items are answered 1 (not at all) to 4 (very much); calm, relaxed and content are
reverse-scored (5 - answer). The sum (6-24) is multiplied by 20/6 to give a score on the
full 20-item STAI scale, 20-80.
"""
from __future__ import annotations

from collector.questionnaires.base import Answers, Instrument, Item, Scores, summed

INTENSITY = ("Not at all", "Somewhat", "Moderately", "Very much")
FEELINGS = (
    ("calm", "I feel calm", True),
    ("tense", "I am tense", False),
    ("upset", "I feel upset", False),
    ("relaxed", "I am relaxed", True),
    ("content", "I feel content", True),
    ("worried", "I am worried", False),
)


def stai6_score(instrument: Instrument, answers: Answers) -> Scores:
    raw = summed(instrument, answers)
    return {"raw": raw, "total": round(raw * 20 / 6, 2)}


STAI6 = Instrument(
    code="stai6",
    title="How you feel right now (STAI-6)",
    instructions="Read each statement and choose the answer that best says how you feel "
    "right now, at this moment.",
    items=tuple(
        Item(code=code, text=text, minimum=1, maximum=4, anchors=INTENSITY, reverse=reverse)
        for code, text, reverse in FEELINGS
    ),
    scorer=stai6_score,
    reference="Marteau TM, Bekker H. The development of a six-item short-form of the state "
    "scale of the Spielberger State-Trait Anxiety Inventory (STAI). Br J Clin Psychol. "
    "1992;31(3):301-306.",
)
