"""Researcher pages: the studies a user belongs to, and a study's overview."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from collector.access import study_for_user
from collector.models import StudyRole
from collector.selectors.studies import study_listings, study_summary


@login_required
def researcher_home(request: HttpRequest) -> HttpResponse:
    return render(request, "collector/researcher_home.html",
                  {"listings": study_listings(user=request.user)})


@login_required
def study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=[StudyRole.RESEARCHER])
    participant_link = request.build_absolute_uri(f"/s/{study.slug}/")
    return render(request, "collector/study_detail.html", {
        "study": study, "summary": study_summary(study=study),
        "participant_link": participant_link,
    })
