"""Perceived Stress Scale, 10 items (Cohen, Kamarck & Mermelstein 1983; Cohen & Williamson 1988).

Items are answered 0 (never) to 4 (very often); items 4, 5, 7 and 8 are positively worded
and reverse-scored (4 - answer); the total is the sum, 0-40.
"""
from __future__ import annotations

from collector.questionnaires.base import Answers, Instrument, Item, Scores, summed

FREQUENCY = ("Never", "Almost never", "Sometimes", "Fairly often", "Very often")
REVERSED = {4, 5, 7, 8}
TEXTS = (
    "been upset because of something that happened unexpectedly?",
    "felt that you were unable to control the important things in your life?",
    "felt nervous and stressed?",
    "felt confident about your ability to handle your personal problems?",
    "felt that things were going your way?",
    "found that you could not cope with all the things that you had to do?",
    "been able to control irritations in your life?",
    "felt that you were on top of things?",
    "been angered because of things that happened that were outside of your control?",
    "felt difficulties were piling up so high that you could not overcome them?",
)


def pss10_score(instrument: Instrument, answers: Answers) -> Scores:
    return {"total": summed(instrument, answers)}


PSS10 = Instrument(
    code="pss10",
    title="Perceived Stress Scale (PSS-10)",
    instructions="In the last month, how often have you…",
    items=tuple(
        Item(code=f"q{n}", text=f"{n}. In the last month, how often have you {text}",
             minimum=0, maximum=4, anchors=FREQUENCY, reverse=n in REVERSED)
        for n, text in enumerate(TEXTS, start=1)
    ),
    scorer=pss10_score,
    reference="Cohen S, Kamarck T, Mermelstein R. A global measure of perceived stress. "
    "J Health Soc Behav. 1983;24(4):385-396.",
)
