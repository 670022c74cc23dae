"""Momentary ratings: Self-Assessment Manikin, stress VAS and NASA-TLX (raw).

SAM (Bradley & Lang 1994): valence, arousal and dominance, each on a 9-point scale 1-9;
each dimension is its own score. Stress VAS: one 0-100 line. NASA-TLX raw ("RTLX",
Hart 2006): six subscales 0-100, overall workload = their unweighted mean.
"""
from __future__ import annotations

from collector.questionnaires.base import Answers, Instrument, Item, Scores


def identity_score(instrument: Instrument, answers: Answers) -> Scores:
    return {item.code: answers[item.code] for item in instrument.items}


def nasa_tlx_score(instrument: Instrument, answers: Answers) -> Scores:
    subscales = identity_score(instrument, answers)
    return {**subscales, "raw_tlx": round(sum(subscales.values()) / len(subscales), 2)}


SAM = Instrument(
    code="sam",
    title="Self-Assessment Manikin (SAM)",
    instructions="Choose the number that best describes how you feel right now.",
    items=(
        Item(code="valence", text="Valence: how pleasant do you feel?", minimum=1, maximum=9,
             anchors=("very unpleasant", "very pleasant"), widget="scale"),
        Item(code="arousal", text="Arousal: how calm or excited do you feel?", minimum=1,
             maximum=9, anchors=("very calm", "very excited"), widget="scale"),
        Item(code="dominance", text="Dominance: how in control do you feel?", minimum=1,
             maximum=9, anchors=("controlled", "in control"), widget="scale"),
    ),
    scorer=identity_score,
    reference="Bradley MM, Lang PJ. Measuring emotion: the Self-Assessment Manikin and the "
    "Semantic Differential. J Behav Ther Exp Psychiatry. 1994;25(1):49-59.",
)

VAS = Instrument(
    code="vas",
    title="Stress rating",
    instructions="Move the slider to show how stressed you feel right now.",
    items=(
        Item(code="stress", text="How stressed do you feel right now?", minimum=0, maximum=100,
             anchors=("not at all stressed", "extremely stressed"), widget="slider"),
    ),
    scorer=identity_score,
    reference="Lesage FX, Berjot S, Deschamps F. Clinical stress assessment using a visual "
    "analogue scale. Occup Med. 2012;62(8):600-605.",
)

TLX_SCALES = (
    ("mental", "Mental demand: how mentally demanding was the task?", "very low", "very high"),
    ("physical", "Physical demand: how physically demanding was the task?", "very low",
     "very high"),
    ("temporal", "Temporal demand: how hurried or rushed was the pace of the task?",
     "very low", "very high"),
    ("performance", "Performance: how successful were you in doing what you were asked?",
     "perfect", "failure"),
    ("effort", "Effort: how hard did you have to work to reach your level of performance?",
     "very low", "very high"),
    ("frustration", "Frustration: how insecure, discouraged, irritated, stressed or annoyed "
     "were you?", "very low", "very high"),
)

NASA_TLX = Instrument(
    code="nasa_tlx",
    title="Workload (NASA-TLX)",
    instructions="Think about the tasks you just did and rate each aspect from 0 to 100.",
    items=tuple(
        Item(code=code, text=text, minimum=0, maximum=100, anchors=(low, high),
             widget="slider")
        for code, text, low, high in TLX_SCALES
    ),
    scorer=nasa_tlx_score,
    reference="Hart SG. NASA-Task Load Index (NASA-TLX); 20 years later. Proc Hum Factors "
    "Ergon Soc Annu Meet. 2006;50(9):904-908.",
)
