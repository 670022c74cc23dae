"""Researchers see only their studies; annotators and strangers get 403/404."""
from __future__ import annotations

import pytest
from django.urls import reverse

from collector.models import StudyRole
from collector.services.questionnaires import questionnaire_response_create
from tests.factories import (
    ConsentRecordFactory,
    MembershipFactory,
    ParticipantFactory,
    SessionFactory,
    StudyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def studies():
    mine = StudyFactory(title="Mine", slug="mine")
    theirs = StudyFactory(title="Theirs", slug="theirs")
    researcher = UserFactory(username="res")
    annotator = UserFactory(username="ann")
    MembershipFactory(study=mine, user=researcher, role=StudyRole.RESEARCHER)
    MembershipFactory(study=mine, user=annotator, role=StudyRole.ANNOTATOR)
    return mine, theirs, researcher, annotator


def test_home_lists_only_member_studies(client, studies):
    mine, theirs, researcher, annotator = studies
    client.force_login(researcher)
    page = client.get(reverse("collector:researcher_home"))
    assert b"Mine" in page.content and b"Theirs" not in page.content
    client.force_login(annotator)
    page = client.get(reverse("collector:researcher_home"))
    assert b"Mine" in page.content and b"Theirs" not in page.content
    assert reverse("collector:study_detail", args=["mine"]).encode() not in page.content


def test_anonymous_is_sent_to_login(client, studies):
    response = client.get(reverse("collector:study_detail", args=["mine"]))
    assert response.status_code == 302 and reverse("login") in response.url


def test_forbidden_paths(client, studies):
    mine, theirs, researcher, annotator = studies
    client.force_login(researcher)
    assert client.get(reverse("collector:study_detail", args=["theirs"])).status_code == 404
    assert client.get(reverse("collector:study_detail", args=["nope"])).status_code == 404
    client.force_login(annotator)
    assert client.get(reverse("collector:study_detail", args=["mine"])).status_code == 403
    assert client.get(reverse("collector:study_detail", args=["theirs"])).status_code == 404
    assert client.get(reverse("admin:index")).status_code == 302


def test_study_detail_summarises_participants_sessions_consent_and_scores(client, studies):
    mine, theirs, researcher, annotator = studies
    for stress in (20, 60):
        participant = ParticipantFactory(study=mine)
        ConsentRecordFactory(participant=participant)
        SessionFactory(participant=participant)
        questionnaire_response_create(participant=participant, instrument="vas",
                                      timing="post", answers={"stress": stress})
    client.force_login(researcher)
    page = client.get(reverse("collector:study_detail", args=["mine"]))
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary.participants == 2
    assert summary.sessions_by_status == {"created": 2}
    assert summary.consent_versions[0]["signed"] == 2
    (row,) = summary.scores
    assert (row.instrument, row.timing, row.n, row.mean) == ("vas", "post", 2, 40.0)
    assert b"/s/mine/" in page.content
