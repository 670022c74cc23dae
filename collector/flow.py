"""The participant's path through a study, derived from what is stored.

consent -> demographics (if the study defines any) -> pre questionnaires -> session ->
post questionnaires -> thank-you. The participant is kept in the browser session under
"participant_id"; every step view redirects to next_step_url() when visited out of order.
"""
from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from collector.models import Participant, SessionStatus

PARTICIPANT_SESSION_KEY = "participant_id"


def current_participant(request: HttpRequest) -> Participant | None:
    participant_id = request.session.get(PARTICIPANT_SESSION_KEY)
    if participant_id is None:
        return None
    return (
        Participant.objects.select_related("study")
        .filter(pk=participant_id, withdrawn_at__isnull=True)
        .first()
    )


def participant_remember(request: HttpRequest, participant: Participant) -> None:
    request.session.cycle_key()
    request.session[PARTICIPANT_SESSION_KEY] = participant.pk


def participant_forget(request: HttpRequest) -> None:
    request.session.pop(PARTICIPANT_SESSION_KEY, None)


def demographics_done(participant: Participant) -> bool:
    names = {field["name"] for field in participant.study.demographics}
    return names <= set(participant.demographics)


def questionnaires_pending(participant: Participant, timing: str) -> list[str]:
    wanted = list(participant.study.questionnaires.get(timing, []))
    answered = set(
        participant.responses.filter(timing=timing).values_list("instrument", flat=True)
    )
    return [code for code in wanted if code not in answered]


def session_done(participant: Participant) -> bool:
    return participant.sessions.filter(status=SessionStatus.ENDED).exists()


def next_step_url(participant: Participant) -> str:
    if not participant.consent_records.filter(withdrawn_at__isnull=True).exists():
        return reverse("collector:study_entry", args=[participant.study.slug])
    if not demographics_done(participant):
        return reverse("collector:demographics")
    pending = questionnaires_pending(participant, "pre")
    if pending:
        return reverse("collector:questionnaire", args=["pre", pending[0]])
    if not session_done(participant):
        return reverse("collector:session_page")
    pending = questionnaires_pending(participant, "post")
    if pending:
        return reverse("collector:questionnaire", args=["post", pending[0]])
    return reverse("collector:thanks")
