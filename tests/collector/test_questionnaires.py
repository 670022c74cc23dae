"""Scoring by hand-computed answer sets, and the all-or-nothing response service."""
from __future__ import annotations

import pytest

from collector.models import QuestionnaireResponse
from collector.questionnaires import INSTRUMENTS
from collector.services.questionnaires import QuestionnaireInvalid, questionnaire_response_create
from tests.factories import ParticipantFactory


def test_pss10_reverse_scores_items_4_5_7_8():
    answers = {f"q{n}": value for n, value in
               enumerate([3, 2, 4, 1, 0, 2, 3, 4, 1, 2], start=1)}
    # Forward items 1,2,3,6,9,10: 3+2+4+2+1+2 = 14; reversed 4,5,7,8: (4-1)+(4-0)+(4-3)+(4-4) = 8.
    assert INSTRUMENTS["pss10"].score(answers) == {"total": 22}


def test_pss10_extremes_span_0_to_40():
    pss = INSTRUMENTS["pss10"]
    lowest = {f"q{n}": (4 if n in (4, 5, 7, 8) else 0) for n in range(1, 11)}
    highest = {f"q{n}": (0 if n in (4, 5, 7, 8) else 4) for n in range(1, 11)}
    assert pss.score(lowest)["total"] == 0
    assert pss.score(highest)["total"] == 40


def test_stai6_reverses_calm_relaxed_content_and_scales_to_20_80():
    answers = {"calm": 1, "tense": 3, "upset": 2, "relaxed": 2, "content": 4, "worried": 3}
    # Reversed: calm 5-1=4, relaxed 5-2=3, content 5-4=1; forward 3+2+3 = 8; raw 16.
    assert INSTRUMENTS["stai6"].score(answers) == {"raw": 16, "total": 53.33}
    calmest = {"calm": 4, "tense": 1, "upset": 1, "relaxed": 4, "content": 4, "worried": 1}
    most_anxious = {"calm": 1, "tense": 4, "upset": 4, "relaxed": 1, "content": 1, "worried": 4}
    assert INSTRUMENTS["stai6"].score(calmest)["total"] == 20
    assert INSTRUMENTS["stai6"].score(most_anxious)["total"] == 80


def test_sam_vas_and_raw_tlx_scores():
    assert INSTRUMENTS["sam"].score({"valence": 7, "arousal": 3, "dominance": 5}) == {
        "valence": 7, "arousal": 3, "dominance": 5,
    }
    assert INSTRUMENTS["vas"].score({"stress": 64}) == {"stress": 64}
    tlx = {"mental": 80, "physical": 10, "temporal": 65, "performance": 30, "effort": 70,
           "frustration": 45}
    # (80+10+65+30+70+45)/6 = 300/6 = 50.
    assert INSTRUMENTS["nasa_tlx"].score(tlx)["raw_tlx"] == 50.0
    assert INSTRUMENTS["nasa_tlx"].score({**tlx, "mental": 81})["raw_tlx"] == 50.17


@pytest.mark.django_db
def test_response_stores_answers_scores_and_time():
    participant = ParticipantFactory()
    response = questionnaire_response_create(
        participant=participant, instrument="stai6", timing="pre",
        answers={"calm": "1", "tense": "3", "upset": "2", "relaxed": "2", "content": "4",
                 "worried": "3"},
        response_time_ms=4200,
    )
    response.refresh_from_db()
    assert response.answers == {"calm": 1, "tense": 3, "upset": 2, "relaxed": 2, "content": 4,
                                "worried": 3}
    assert response.scores == {"raw": 16, "total": 53.33}
    assert response.response_time_ms == 4200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "bad_item", "message"),
    [
        ({"valence": 5, "arousal": 5}, "dominance", "Please answer"),
        ({"valence": 5, "arousal": 10, "dominance": 5}, "arousal", "from 1 to 9"),
        ({"valence": "five", "arousal": 5, "dominance": 5}, "valence", "whole number"),
        ({"valence": 5, "arousal": 5, "dominance": 5, "mood": 3}, "__all__", "mood"),
    ],
)
def test_invalid_or_incomplete_answers_store_nothing(answers, bad_item, message):
    participant = ParticipantFactory()
    with pytest.raises(QuestionnaireInvalid) as caught:
        questionnaire_response_create(participant=participant, instrument="sam",
                                      timing="post", answers=answers)
    assert message in caught.value.errors[bad_item]
    assert QuestionnaireResponse.objects.count() == 0


@pytest.mark.django_db
def test_unknown_instrument_is_rejected():
    with pytest.raises(QuestionnaireInvalid, match="Unknown questionnaire"):
        questionnaire_response_create(participant=ParticipantFactory(), instrument="bdi",
                                      timing="pre", answers={})
