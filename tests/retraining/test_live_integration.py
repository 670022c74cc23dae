"""Live model outputs shown in the researcher's study monitor (headless Chromium)."""

from __future__ import annotations

import tempfile

import pytest
from django.test import Client
from django.urls import reverse

from collector.models import SessionStatus
from retraining.models import SessionPrediction
from tests.browser import CHROMIUM_ARGS
from tests.factories import MembershipFactory, ParticipantFactory, SessionFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_monitor_shows_the_current_model_emotion_and_stress(
    live_server, chromium_path, artifacts_dir
):
    from playwright.sync_api import sync_playwright

    researcher = UserFactory()
    membership = MembershipFactory(user=researcher)
    session = SessionFactory(
        participant=ParticipantFactory(study=membership.study),
        status=SessionStatus.ACTIVE,
        frame_count=128,
    )
    SessionPrediction.objects.create(
        session=session,
        next_seq=128,
        t_ms=[4000.0, 8000.0],
        emotion_probs=[
            [0.1, 0.1, 0.6, 0.05, 0.05, 0.05, 0.05],
            [0.7, 0.1, 0.1, 0.025] + [0.025] * 3,
        ],
        stress_t_ms=[2000.0, 6000.0],
        stress=[0.2, 0.81],
    )
    client = Client()
    client.force_login(researcher)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        browser.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page = browser.new_page()
        page.goto(live_server.url + reverse("capture:monitor", args=[membership.study.slug]))
        row = page.locator(f'tr[data-session="{session.uuid}"]')
        emotion = row.locator('td[data-field="model_emotion"]')
        page.wait_for_function(
            "el => el && el.textContent.startsWith('happy')",
            arg=emotion.element_handle(timeout=10000),
            timeout=10000,
        )
        assert emotion.text_content() == "happy 70 %"
        assert row.locator('td[data-field="model_stress"]').text_content() == "0.81"
        assert page.locator("#monitor thead th", has_text="Stress (model)").count() == 1
        page.screenshot(path=str(artifacts_dir / "monitor.png"), full_page=True)
        browser.close()
