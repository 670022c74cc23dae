"""The protocol as data and the session page fragment that runs it."""
from __future__ import annotations

import json
import re

import pytest
from django.template import Context, Template

from collector.protocol import (
    DEFAULT_PROTOCOL,
    ProtocolInvalid,
    protocol_for_study,
    protocol_validate,
    shortened,
)
from collector.services.capture import capture_token_verify
from tests.collector.capture_support import consented_session


def test_default_protocol_has_every_task_kind():
    protocol_validate(DEFAULT_PROTOCOL)
    kinds = [p["kind"] for p in DEFAULT_PROTOCOL["phases"]]
    assert {"instructions", "rest", "stroop", "arithmetic", "rating"} <= set(kinds)
    assert kinds.index("stroop") < kinds.index("arithmetic")


def test_shortened_caps_every_timed_phase_and_leaves_the_original():
    short = shortened(DEFAULT_PROTOCOL, 3)
    timed = [p for p in short["phases"] if "duration_s" in p]
    assert timed and all(p["duration_s"] == 3 for p in timed)
    assert DEFAULT_PROTOCOL["phases"][1]["duration_s"] == 180


@pytest.mark.parametrize(
    "protocol",
    [
        {},
        {"phases": [{"name": "x", "kind": "dance", "duration_s": 3}]},
        {"phases": [{"name": "x", "kind": "rest"}]},
        {"phases": [{"name": "x", "kind": "rest", "duration_s": -1}]},
        {"phases": [{"name": "x", "kind": "rating"}, {"name": "x", "kind": "rating"}]},
    ],
)
def test_invalid_protocols_are_refused_with_a_reason(protocol):
    with pytest.raises(ProtocolInvalid):
        protocol_validate(protocol)


def test_a_study_without_protocol_runs_the_default_and_empty_stays_empty():
    assert protocol_for_study({}) == DEFAULT_PROTOCOL
    assert protocol_for_study({"phases": []}) == {"phases": []}


@pytest.mark.django_db
def test_capture_fragment_carries_token_protocol_and_vendored_holistic():
    session = consented_session(protocol=shortened(DEFAULT_PROTOCOL, 2))
    html = Template('{% include "capture/session_capture.html" %}').render(
        Context({"session": session, "study": session.participant.study,
                 "participant": session.participant})
    )
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    capture_token_verify(token=token, session_uuid=str(session.uuid))
    protocol = json.loads(re.search(
        r'<script id="capture-protocol" type="application/json">(.*?)</script>', html, re.S
    ).group(1))
    assert protocol == shortened(DEFAULT_PROTOCOL, 2)
    assert "/static/vendor/holistic/holistic.js" in html
    assert 'type="module"' in html and "cdn" not in html.lower()
