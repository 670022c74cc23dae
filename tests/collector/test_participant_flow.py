"""The participant flow through the test client: consent, demographics, questionnaires,
session, thanks; steps out of order redirect; invalid answers re-show the form."""
from __future__ import annotations

import pytest
from django.urls import reverse

from collector.models import (
    AuditAction,
    AuditEvent,
    ConsentRecord,
    Participant,
    QuestionnaireResponse,
    SessionStatus,
)
from collector.services.participants import CODE_ALPHABET
from tests.factories import ConsentVersionFactory, StudyFactory

pytestmark = pytest.mark.django_db

STAI = {"calm": "2", "tense": "3", "upset": "1", "relaxed": "2", "content": "3", "worried": "2"}


@pytest.fixture
def study():
    study = StudyFactory(
        slug="flow",
        demographics=[
            {"name": "age", "label": "Age", "type": "int", "min": 16, "max": 110},
            {"name": "gender", "label": "Gender", "type": "choice",
             "choices": ["Woman", "Man", "Non-binary"]},
        ],
        questionnaires={"pre": ["stai6"], "post": ["vas"]},
    )
    ConsentVersionFactory(study=study, version=1, text="old text")
    ConsentVersionFactory(study=study, version=2, text="current text")
    ConsentVersionFactory(study=study, version=3, text="draft", published_at=None)
    return study


def consent(client, study):
    version = study.latest_consent()
    return client.post(reverse("collector:study_entry", args=[study.slug]),
                       {"version": version.pk, "agree": "on"})


def test_consent_page_shows_latest_published_version(client, study):
    page = client.get(reverse("collector:study_entry", args=[study.slug]))
    assert page.status_code == 200
    assert b"current text" in page.content
    assert b"old text" not in page.content and b"draft" not in page.content


def test_consent_without_agreement_is_refused_and_stores_nothing(client, study):
    version = study.latest_consent()
    page = client.post(reverse("collector:study_entry", args=[study.slug]),
                       {"version": version.pk})
    assert page.status_code == 200
    assert b"tick the box" in page.content
    assert Participant.objects.count() == 0 and ConsentRecord.objects.count() == 0


def test_consent_to_an_outdated_version_is_refused(client, study):
    old = study.consent_versions.get(version=1)
    page = client.post(reverse("collector:study_entry", args=[study.slug]),
                       {"version": old.pk, "agree": "on"})
    assert b"has changed" in page.content
    assert ConsentRecord.objects.count() == 0


def test_consent_records_signature_and_audit_event(client, study):
    response = consent(client, study)
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert record.consent_version.version == 2
    code = record.participant.code
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    event = AuditEvent.objects.get(action=AuditAction.CONSENT_SIGNED)
    assert event.study == study and event.details["consent_version"] == 2
    assert code not in str(event.details)


def test_full_flow_reaches_thanks_with_code(client, study):
    consent(client, study)
    assert client.get(reverse("collector:flow")).url == reverse("collector:demographics")
    client.post(reverse("collector:demographics"), {"age": "34", "gender": ""})
    pre = reverse("collector:questionnaire", args=["pre", "stai6"])
    assert client.get(reverse("collector:flow")).url == pre
    client.get(pre)
    assert client.post(pre, STAI).status_code == 302
    session_url = reverse("collector:session_page")
    page = client.get(session_url)
    assert page.status_code == 200
    assert b'id="finish-form"' in page.content and b'id="finish-session"' in page.content
    session = page.context["session"]
    client.post(reverse("collector:session_finish"))
    session.refresh_from_db()
    assert session.status == SessionStatus.ENDED
    post = reverse("collector:questionnaire", args=["post", "vas"])
    assert client.get(reverse("collector:flow")).url == post
    client.post(post, {"stress": "70"})
    thanks = client.get(reverse("collector:flow"))
    assert thanks.url == reverse("collector:thanks")
    page = client.get(thanks.url)
    participant = Participant.objects.get()
    assert participant.code.encode() in page.content
    assert reverse("collector:withdraw").encode() in page.content
    assert participant.demographics == {"age": 34, "gender": None}
    pre_response = QuestionnaireResponse.objects.get(timing="pre")
    # calm 5-2=3, tense 3, upset 1, relaxed 5-2=3, content 5-3=2, worried 2: 14 * 20/6.
    assert pre_response.scores == {"raw": 14, "total": 46.67}
    assert pre_response.response_time_ms is not None and pre_response.session is None
    post_response = QuestionnaireResponse.objects.get(timing="post")
    assert post_response.scores == {"stress": 70} and post_response.session == session


def test_skipping_ahead_redirects_to_the_current_step(client, study):
    consent(client, study)
    for url in (reverse("collector:session_page"), reverse("collector:thanks"),
                reverse("collector:questionnaire", args=["post", "vas"])):
        assert client.get(url).url == reverse("collector:demographics")


def test_pages_without_a_participant_send_back_to_the_link(client, study):
    page = client.get(reverse("collector:demographics"))
    assert page.status_code == 403
    assert b"study link" in page.content


def test_incomplete_questionnaire_reshows_form_with_errors_and_saves_nothing(client, study):
    consent(client, study)
    client.post(reverse("collector:demographics"), {})
    url = reverse("collector:questionnaire", args=["pre", "stai6"])
    page = client.post(url, {**STAI, "calm": "", "worried": "9"})
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert "Please answer" in errors["calm"][0]
    assert "from 1 to 4" in errors["worried"][0]
    assert b'value="3"' in page.content and b"checked" in page.content
    assert QuestionnaireResponse.objects.count() == 0


def test_invalid_demographics_reshow_form(client, study):
    consent(client, study)
    page = client.post(reverse("collector:demographics"), {"age": "7", "gender": "Robot"})
    assert page.status_code == 200
    assert "from 16 to 110" in page.context["form"].errors["age"][0]
    assert "Choose one" in page.context["form"].errors["gender"][0]
    assert Participant.objects.get().demographics == {}


def test_inactive_study_takes_no_one(client, study):
    study.is_active = False
    study.save()
    assert client.get(reverse("collector:study_entry", args=[study.slug])).status_code == 404


def test_study_rejects_unknown_questionnaires_and_field_types():
    from django.core.exceptions import ValidationError

    study = StudyFactory.build(questionnaires={"pre": ["bdi"], "later": []},
                               demographics=[{"name": "age", "type": "float"}])
    with pytest.raises(ValidationError) as caught:
        study.clean()
    assert "bdi" in str(caught.value.message_dict["questionnaires"])
    assert "later" in str(caught.value.message_dict["questionnaires"])
    assert "type must be" in caught.value.message_dict["demographics"][0]
