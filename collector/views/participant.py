"""Participant pages: study link, consent, demographics, questionnaires, session, thanks,
withdrawal. No account: the participant lives in the browser session (collector.flow)."""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from collector import flow
from collector.forms import (
    ConsentForm,
    DemographicsForm,
    QuestionnaireForm,
    WithdrawalForm,
    form_errors_apply,
)
from collector.models import SessionStatus, Study
from collector.questionnaires import INSTRUMENTS
from collector.services.consent import (
    ConsentNotCurrent,
    ConsentRequired,
    StudyClosed,
    participant_enrol,
)
from collector.services.participants import DemographicsInvalid, participant_demographics_set
from collector.services.questionnaires import QuestionnaireInvalid, questionnaire_response_create
from collector.services.sessions import session_end, session_open
from collector.services.withdrawal import ParticipantNotFound, participant_withdraw


def participant_step(view: Callable) -> Callable:
    """Only the participant's current step is served; anything else redirects to it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        participant = flow.current_participant(request)
        if participant is None:
            return render(request, "collector/no_participant.html", status=403)
        if reverse(f"collector:{view.__name__}", args=args, kwargs=kwargs) != (
            flow.next_step_url(participant)
        ):
            return redirect(flow.next_step_url(participant))
        return view(request, participant, *args, **kwargs)

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "collector/home.html")


def flow_router(request: HttpRequest) -> HttpResponse:
    participant = flow.current_participant(request)
    if participant is None:
        return render(request, "collector/no_participant.html", status=403)
    return redirect(flow.next_step_url(participant))


@require_http_methods(["GET", "POST"])
def study_entry(request: HttpRequest, slug: str) -> HttpResponse:
    study = get_object_or_404(Study, slug=slug)
    participant = flow.current_participant(request)
    if participant is not None and participant.study_id == study.pk:
        return redirect(flow.next_step_url(participant))
    version = study.latest_consent()
    if not study.is_active or version is None:
        return render(request, "collector/study_closed.html", {"study": study}, status=404)
    form = ConsentForm(request.POST or None, initial={"version": version.pk})
    if request.method == "POST" and form.is_valid():
        signed = study.consent_versions.filter(pk=form.cleaned_data["version"]).first()
        try:
            participant, _ = participant_enrol(
                study=study, version=signed, agreed=form.cleaned_data["agree"]
            )
        except ConsentRequired as error:
            form.add_error("agree", str(error))
        except (ConsentNotCurrent, StudyClosed) as error:
            form.add_error(None, str(error))
        else:
            flow.participant_remember(request, participant)
            return redirect("collector:flow")
    return render(request, "collector/consent.html",
                  {"study": study, "version": version, "form": form})


@participant_step
def demographics(request: HttpRequest, participant) -> HttpResponse:
    form = DemographicsForm(request.POST or None, study=participant.study)
    if request.method == "POST":
        try:
            participant_demographics_set(participant=participant, answers=request.POST)
        except DemographicsInvalid as error:
            form_errors_apply(form, error.errors)
        else:
            return redirect("collector:flow")
    return render(request, "collector/demographics.html",
                  {"study": participant.study, "form": form, "step": _step(participant)})


@participant_step
def questionnaire(request: HttpRequest, participant, timing: str, code: str) -> HttpResponse:
    instrument = INSTRUMENTS[code]
    shown_key = f"questionnaire_shown:{timing}:{code}"
    form = QuestionnaireForm(request.POST or None, instrument=instrument)
    if request.method == "POST":
        shown_at = request.session.get(shown_key)
        elapsed = int(time.time() * 1000 - shown_at) if shown_at else None
        session = None
        if timing == "post":
            session = participant.sessions.order_by("-created_at").first()
        try:
            questionnaire_response_create(
                participant=participant, instrument=code, timing=timing,
                answers={name: request.POST.get(name) for name in instrument.item_codes()},
                session=session, response_time_ms=elapsed,
            )
        except QuestionnaireInvalid as error:
            form_errors_apply(form, error.errors)
        else:
            request.session.pop(shown_key, None)
            return redirect("collector:flow")
    else:
        request.session[shown_key] = time.time() * 1000
    return render(request, "collector/questionnaire.html", {
        "study": participant.study, "instrument": instrument, "form": form,
        "timing": timing, "step": _step(participant),
    })


@participant_step
def session_page(request: HttpRequest, participant) -> HttpResponse:
    session = session_open(
        participant=participant, user_agent=request.headers.get("User-Agent", "")
    )
    return render(request, "collector/session.html", {
        "study": participant.study, "participant": participant, "session": session,
        "step": _step(participant),
    })


@require_POST
def session_finish(request: HttpRequest) -> HttpResponse:
    participant = flow.current_participant(request)
    if participant is None:
        return render(request, "collector/no_participant.html", status=403)
    with transaction.atomic():
        for session in participant.sessions.exclude(status=SessionStatus.ENDED):
            session_end(session=session)
    return redirect("collector:flow")


@participant_step
def thanks(request: HttpRequest, participant) -> HttpResponse:
    return render(request, "collector/thanks.html",
                  {"study": participant.study, "participant": participant})


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant_withdraw(code=form.cleaned_data["code"])
        except ParticipantNotFound as error:
            form.add_error("code", str(error))
        else:
            flow.participant_forget(request)
            return redirect("collector:withdraw_done")
    return render(request, "collector/withdraw.html", {"form": form})


def withdraw_done(request: HttpRequest) -> HttpResponse:
    return render(request, "collector/withdraw_done.html")


def _step(participant) -> dict[str, int]:
    """Progress for the step indicator: how many of the participant's steps are behind them."""
    study = participant.study
    pre = study.questionnaires.get("pre", [])
    post = study.questionnaires.get("post", [])
    total = 1 + (1 if study.demographics else 0) + len(pre) + 1 + len(post)
    remaining = (
        (0 if flow.demographics_done(participant) else 1)
        + len(flow.questionnaires_pending(participant, "pre"))
        + (0 if flow.session_done(participant) else 1)
        + len(flow.questionnaires_pending(participant, "post"))
    )
    return {"current": total - remaining + 1, "total": total + 1}
