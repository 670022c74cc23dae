"""Researcher live monitor of a study's capture streams."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from collector.access import study_for_user
from collector.models import StudyRole
from collector.selectors.monitor import study_live_sessions


@login_required
def study_monitor(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=(StudyRole.RESEARCHER,))
    return render(
        request,
        "capture/monitor.html",
        {"study": study, "sessions": study_live_sessions(study=study)},
    )
