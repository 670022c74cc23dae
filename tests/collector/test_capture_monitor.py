"""The researcher live monitor: page, websocket membership check and live stats."""
from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.urls import reverse

from collector.models import StudyMembership, StudyRole
from collector.routing import websocket_urlpatterns
from tests.collector.capture_support import (
    batch,
    consented_session,
    db_threads_closed,  # noqa: F401
    stream_hello,
    stream_open,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("db_threads_closed")]


@database_sync_to_async
def study_with_member(role: str | None):
    session = consented_session()
    user = get_user_model().objects.create_user(f"member-{session.pk}")
    if role:
        StudyMembership.objects.create(study=session.participant.study, user=user, role=role)
    return session, session.participant.study, user


async def monitor_open(user, slug: str) -> tuple[WebsocketCommunicator, bool]:
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/studies/{slug}/monitor/")
    ws.scope["user"] = user
    connected, _ = await ws.connect()
    return ws, connected


@override_settings(CAPTURE_MONITOR_INTERVAL_S=0)
async def test_researcher_sees_connected_session_and_live_stats():
    session, study, researcher = await study_with_member(StudyRole.RESEARCHER)
    monitor, connected = await monitor_open(researcher, study.slug)
    assert connected
    stream = await stream_open(session)
    await stream_hello(stream)
    hello = await monitor.receive_json_from(timeout=5)
    assert hello["state"] == "connected" and hello["session"] == str(session.uuid)
    await stream.send_json_to({"type": "event", "eid": "6f1c7b8e-4f57-4d7e-a5b9-0f2f2a5b3c11",
                               "name": "phase_start", "t_ms": 5.0, "data": {"phase": "stroop"}})
    await stream.receive_json_from(timeout=5)
    await stream.send_to(bytes_data=batch(0))
    await stream.receive_json_from(timeout=5)
    await stream.send_to(bytes_data=batch(8))
    await stream.receive_json_from(timeout=5)
    stats = await monitor.receive_json_from(timeout=5)
    assert stats["state"] == "streaming" and stats["phase"] == "stroop"
    assert stats["frames_stored"] in (8, 16) and 0 <= stats["face_ratio"] <= 1
    await stream.disconnect()
    while (message := await monitor.receive_json_from(timeout=5))["state"] != "disconnected":
        pass
    assert message["frames_stored"] == 16
    await monitor.disconnect()


@pytest.mark.parametrize("role", [None, StudyRole.ANNOTATOR])
async def test_non_researchers_cannot_open_the_monitor(role):
    _, study, user = await study_with_member(role)
    _, connected = await monitor_open(user, study.slug)
    assert not connected
    _, connected = await monitor_open(AnonymousUser(), study.slug)
    assert not connected


def test_monitor_page_lists_recording_sessions_for_researchers_only(client):
    session, study, researcher = study_with_member.func(StudyRole.RESEARCHER)
    session.status = "active"
    session.frame_count, session.face_frame_count = 10, 9
    session.save()
    url = reverse("capture:monitor", args=[study.slug])
    client.force_login(researcher)
    page = client.get(url)
    assert page.status_code == 200
    assert str(session.uuid) in page.content.decode()
    assert f"/ws/studies/{study.slug}/monitor/" in page.content.decode()
    outsider = get_user_model().objects.create_user("outsider")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
