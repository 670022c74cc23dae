"""Admin: every collector model is registered; the audit log and published consent are read-only."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from collector.models import AuditEvent
from collector.services.audit import audit_record
from tests.factories import (
    ConsentRecordFactory,
    ConsentVersionFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_every_collector_model_is_registered():
    for model in apps.get_app_config("collector").get_models():
        assert admin.site.is_registered(model), model.__name__


def test_changelists_render_with_data(admin_client):
    ConsentRecordFactory()
    SessionFactory()
    audit_record(action="export", details={"rows": 3})
    for model in apps.get_app_config("collector").get_models():
        url = reverse(f"admin:collector_{model._meta.model_name}_changelist")
        assert admin_client.get(url, {"q": "x"}).status_code == 200, url


def test_audit_events_cannot_be_added_changed_or_deleted(admin_client):
    event = audit_record(action="export", details={"rows": 3})
    assert admin_client.get(reverse("admin:collector_auditevent_add")).status_code == 403
    change = reverse("admin:collector_auditevent_change", args=[event.pk])
    assert admin_client.post(change, {"action": "withdrawal"}).status_code == 403
    delete = reverse("admin:collector_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get().action == "export"


def test_published_consent_is_read_only(admin_client):
    version = ConsentVersionFactory(text="final")
    url = reverse("admin:collector_consentversion_change", args=[version.pk])
    admin_client.post(url, {"study": version.study_id, "version": 9, "text": "edited"})
    version.refresh_from_db()
    assert version.text == "final" and version.version != 9
    delete = reverse("admin:collector_consentversion_delete", args=[version.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_draft_consent_can_be_edited(admin_client):
    version = ConsentVersionFactory(text="draft", published_at=None)
    url = reverse("admin:collector_consentversion_change", args=[version.pk])
    response = admin_client.post(url, {"study": version.study_id, "version": version.version,
                                       "text": "better draft", "created_at_0": "2026-01-01",
                                       "created_at_1": "10:00:00"})
    assert response.status_code == 302, response.content[:2000]
    version.refresh_from_db()
    assert version.text == "better draft"


def test_publish_action_publishes_drafts_only(admin_client):
    draft = ConsentVersionFactory(text="draft", published_at=None)
    published = ConsentVersionFactory(text="done")
    before = published.published_at
    response = admin_client.post(reverse("admin:collector_consentversion_changelist"), {
        "action": "publish", "_selected_action": [draft.pk, published.pk],
    })
    assert response.status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.published_at is not None and published.published_at == before
    assert draft.study.latest_consent() == draft
