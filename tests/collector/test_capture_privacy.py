"""Only landmarks leave the browser: no upload route, no message bigger than a landmark batch."""
from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from collector.consumers import SessionStreamConsumer, StudyMonitorConsumer
from collector.routing import websocket_urlpatterns
from collector.wire import MAX_BATCH_BYTES, MAX_FRAMES_PER_BATCH

ROOT = Path(__file__).resolve().parents[2]
CAPTURE_JS = sorted((ROOT / "static" / "capture").glob("*.js"))


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def test_no_http_route_accepts_images_or_video():
    media_words = re.compile(r"upload|image|video|frame|snapshot|recording|media", re.I)
    offenders = []
    for route, pattern in _patterns(get_resolver()):
        if route.startswith("admin/"):
            continue
        view = pattern.callback
        module = getattr(view, "__module__", "")
        if media_words.search(route):
            offenders.append(route)
        if module.startswith(("collector", "labeling", "retraining")):
            source = Path(__import__(module, fromlist=["x"]).__file__).read_text()
            if "request.FILES" in source:
                offenders.append(f"{route} ({module} reads request.FILES)")
    assert offenders == []


def test_only_the_landmark_stream_and_monitor_are_websocket_routes():
    consumers = {p.callback.consumer_class for p in websocket_urlpatterns}
    assert consumers == {SessionStreamConsumer, StudyMonitorConsumer}


def test_largest_accepted_message_is_one_full_landmark_batch():
    assert settings.CAPTURE_MAX_MESSAGE_BYTES == MAX_BATCH_BYTES


def test_capture_page_sends_only_landmark_batches():
    """The page never reads pixels out (no canvas export, recorder or blob upload) and
    batches no more frames per message than the protocol allows."""
    assert CAPTURE_JS, "static/capture/*.js missing"
    pixel_exports = re.compile(
        r"toDataURL|toBlob|getImageData|MediaRecorder|captureStream|FormData|fetch\(|XMLHttpRequest"
    )
    for script in CAPTURE_JS:
        assert not pixel_exports.search(script.read_text()), script.name
    wire_js = (ROOT / "static" / "capture" / "wire.js").read_text()
    batch_frames = int(re.search(r"BATCH_FRAMES = (\d+)", wire_js).group(1))
    assert 1 <= batch_frames <= MAX_FRAMES_PER_BATCH
    assert "FRAME_BYTES = 6160" in wire_js and "HEADER_BYTES = 16" in wire_js
    sends = re.findall(r"ws\.send\(([^)]*)\)", "".join(s.read_text() for s in CAPTURE_JS))
    assert sends and all(arg == "buffer" or "JSON.stringify" in arg for arg in sends), sends
