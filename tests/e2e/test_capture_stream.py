"""Real Chromium + fake camera (astronaut clip) + MediaPipe Holistic + the capture stream."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from collector.flow import PARTICIPANT_SESSION_KEY
from collector.models import FrameChunk, QuestionnaireResponse, Session, SessionEvent, SessionStatus
from collector.protocol import DEFAULT_PROTOCOL, shortened
from collector.selectors.frames import session_frames_with_phases
from tests.collector.capture_support import consented_session
from tests.e2e.capture_support import y4m_write

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LARGEST_PAGE_BATCH = 16 + 8 * 6160
ARITHMETIC = re.compile(r"^\d+ [-+*] \d+ [-+] \d+$")


@pytest.fixture
def participant_page(live_asgi_server, browser_factory, artifacts_dir: Path, tmp_path: Path):
    """A Chromium page whose camera shows the astronaut, logged in as a participant."""
    browser = browser_factory(fake_video=y4m_write(tmp_path / "astronaut.y4m"),
                              extra_args=["--autoplay-policy=no-user-gesture-required"])
    context = browser.new_context()
    page = context.new_page()
    log = (artifacts_dir / "console.log").open("w")
    page.on("console", lambda msg: log.write(f"{msg.type}: {msg.text}\n"))
    page.on("pageerror", lambda err: log.write(f"pageerror: {err}\n"))

    def open_session(session: Session) -> None:
        store = SessionStore()
        store[PARTICIPANT_SESSION_KEY] = session.participant_id
        store.create()
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key,
                              "url": live_asgi_server.url}])
        page.goto(f"{live_asgi_server.url}{reverse('collector:session_page')}")
        page.wait_for_selector("#capture[data-tracking='on']", timeout=90_000)

    page.open_session = open_session
    yield page
    page.screenshot(path=str(artifacts_dir / "last.png"))
    log.close()


class ParticipantBot:
    """Plays the protocol like a participant: answers trials by key, submits ratings."""

    def __init__(self, page) -> None:
        self.page = page
        self.fps: list[float] = []
        self.sent_binary: list[int] = []
        self.requests: list[tuple[str, str]] = []
        page.on("websocket", lambda ws: ws.on(
            "framesent",
            lambda payload: self.sent_binary.append(len(payload))
            if isinstance(payload, bytes) else None,
        ))
        page.on("request", lambda req: self.requests.append((req.method, req.url)))

    # One round trip per step: the page's main thread is busy running MediaPipe on
    # the CPU, so every evaluate waits its turn. A Stroop word is answered in the same
    # turn it is read (a keydown on the document, as a key press delivers it), so a
    # slow round trip under load cannot let the trial time out between read and press.
    STATE_JS = """() => {
        const stage = document.getElementById('protocol-stage');
        const w = document.getElementById('stroop-word');
        const p = document.getElementById('arith-problem');
        if (w && !w.textContent) delete w.dataset.answered;
        if (w && w.textContent && w.dataset.answered !== w.textContent + w.dataset.ink) {
            w.dataset.answered = w.textContent + w.dataset.ink;
            document.dispatchEvent(new KeyboardEvent('keydown', {key: w.dataset.key}));
        }
        return {
            fps: document.getElementById('capture')?.dataset.fps || null,
            kind: (stage && stage.dataset.kind) || '',
            key: w && w.textContent ? w.dataset.key : null,
            problem: p && p.textContent ? p.dataset.problem : null,
        };
    }"""

    def step(self) -> None:
        page = self.page
        state = page.evaluate(self.STATE_JS)
        if state["fps"]:
            self.fps.append(float(state["fps"]))
        kind = state["kind"]
        if kind == "instructions" and page.locator("#protocol-continue").count():
            page.click("#protocol-continue")
        elif kind == "arithmetic":
            problem = state["problem"]
            if problem and ARITHMETIC.match(problem):
                page.keyboard.press(str(eval(problem)))  # noqa: S307 - digits and + - * only
        elif kind == "rating" and page.locator("#rating-submit").count():
            page.click("#rating-submit")

    def run_until_finished(self, session_uuid: str, timeout_s: float, during=None) -> None:
        deadline = time.monotonic() + timeout_s
        session_url = reverse("collector:session_page")
        while time.monotonic() < deadline:
            if not self.page.url.endswith(session_url):
                return
            if during is not None:
                during()
            try:
                self.step()
            except Exception as exc:  # navigation to the done page mid-evaluate
                if not self.page.url.endswith(session_url) or "destroyed" in str(exc):
                    continue
                raise
            self.page.wait_for_timeout(100)
        raise AssertionError(f"session {session_uuid} did not finish in {timeout_s} s")


def assert_contiguous_and_unique(session: Session) -> np.ndarray:
    chunks = list(FrameChunk.objects.filter(session=session).order_by("first_seq")
                  .values_list("first_seq", "count"))
    starts = np.array([c[0] for c in chunks])
    counts = np.array([c[1] for c in chunks])
    assert starts[0] == 0 and (starts[1:] == (starts + counts)[:-1]).all(), chunks
    session.refresh_from_db()
    assert session.frame_count == int(counts.sum())
    frames = session_frames_with_phases(session=session)
    assert (np.diff(frames.t_ms) > 0).all(), "duplicated or reordered frames"
    return frames


def test_capture_stream_records_protocol_with_face_landmarks(live_asgi_server, participant_page,
                                                             artifacts_dir):
    protocol = shortened(DEFAULT_PROTOCOL, 4)
    for phase in protocol["phases"]:
        # Long enough trials that a bot sharing two CPU cores with MediaPipe answers some.
        if phase["kind"] in ("stroop", "arithmetic"):
            phase.update(duration_s=10, trial_timeout_s=6, time_limit_s=8, min_time_limit_s=4)
    session = consented_session(protocol=protocol)
    page = participant_page
    bot = ParticipantBot(page)
    page.open_session(session)
    bot.run_until_finished(str(session.uuid), timeout_s=120)

    session.refresh_from_db()
    assert session.status == SessionStatus.ENDED
    frames = assert_contiguous_and_unique(session)
    assert len(frames) >= 30
    face_ratio = float(frames.presence[:, 0].mean())
    assert face_ratio > 0.8, face_ratio
    face = frames.features[frames.presence[:, 0] == 1, :1404].reshape(-1, 468, 3)
    assert ((face[..., :2] > 0) & (face[..., :2] < 1)).mean() > 0.95
    events = list(SessionEvent.objects.filter(session=session).values_list("name", "data"))
    names = [name for name, _ in events]
    for phase in protocol["phases"]:
        for boundary in ("phase_start", "phase_end"):
            assert (boundary, phase["name"]) in [(n, d.get("phase")) for n, d in events]
    stroop = [d for n, d in events if n == "stroop_trial"]
    arithmetic = [d for n, d in events if n == "arithmetic_trial"]
    assert stroop and any(t["correct"] and t["rt_ms"] > 0 for t in stroop)
    assert {t["congruent"] for t in stroop} <= {True, False}
    assert arithmetic and all(t["correct"] == (t["response"] == t["answer"]) for t in arithmetic)
    assert all(t["timed_out"] == (t["response"] is None) for t in arithmetic)
    assert names.count("rating") == 4
    in_session = QuestionnaireResponse.objects.filter(session=session, timing="in_session")
    assert sorted(in_session.values_list("instrument", flat=True)) == ["sam"] * 4 + ["vas"] * 4
    labelled = set(frames.phase.tolist())
    assert {"baseline", "stroop", "arithmetic", "recovery"} <= labelled
    assert bot.sent_binary and max(bot.sent_binary) <= LARGEST_PAGE_BATCH
    assert all((size - 16) % 6160 == 0 for size in bot.sent_binary)
    posts = [url for method, url in bot.requests if method != "GET"]
    assert posts == [f"{live_asgi_server.url}{reverse('collector:session_finish')}"]
    assert page.url.endswith(reverse("collector:thanks"))
    fps = np.array(bot.fps)
    (artifacts_dir / "fps.json").write_text(json.dumps({
        "median_fps": float(np.median(fps)), "max_fps": float(fps.max()),
        "frames": len(frames), "face_ratio": face_ratio,
        "stroop_trials": len(stroop), "arithmetic_trials": len(arithmetic)}))
    print(f"browser fps median {np.median(fps):.1f}, frames {len(frames)}, face {face_ratio:.2f}")


def test_server_restart_mid_session_loses_and_duplicates_no_frame(live_asgi_server,
                                                                  participant_page):
    protocol = {"phases": [{"name": "baseline", "kind": "rest", "duration_s": 12}]}
    session = consented_session(protocol=protocol)
    page = participant_page
    bot = ParticipantBot(page)
    page.open_session(session)
    epoch = page.evaluate("window.stresslabCapture.epoch")
    page.wait_for_timeout(2500)
    outage = {}

    def restart_once() -> None:
        if outage:
            return
        outage["down"] = time.time() * 1000 - epoch
        live_asgi_server.stop()
        page.wait_for_timeout(3000)
        live_asgi_server.start()
        outage["up"] = time.time() * 1000 - epoch

    bot.run_until_finished(str(session.uuid), timeout_s=90, during=restart_once)
    frames = assert_contiguous_and_unique(session)
    during = (frames.t_ms > outage["down"]) & (frames.t_ms < outage["up"])
    assert during.sum() >= 3, "frames captured while the server was down were not delivered"
    assert np.diff(frames.t_ms).max() < 1500, "a hole in the recording"
    assert (frames.phase == "baseline").mean() > 0.7


def test_denied_camera_shows_a_clear_message(live_asgi_server, browser_factory):
    session = consented_session(protocol=shortened(DEFAULT_PROTOCOL, 2))
    browser = browser_factory(fake_video=None)
    context = browser.new_context()
    store = SessionStore()
    store[PARTICIPANT_SESSION_KEY] = session.participant_id
    store.create()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key,
                          "url": live_asgi_server.url}])
    page = context.new_page()
    page.goto(f"{live_asgi_server.url}{reverse('collector:session_page')}")
    page.wait_for_selector("#capture[data-camera='denied']", timeout=30_000)
    message = page.inner_text("#capture-status")
    assert "camera" in message.lower() and "reload" in message.lower()
    assert page.is_disabled("#finish-session")


def test_page_reload_mid_session_resumes_without_gaps_or_duplicates(live_asgi_server,
                                                                    participant_page):
    protocol = {"phases": [{"name": "baseline", "kind": "rest", "duration_s": 10}]}
    session = consented_session(protocol=protocol)
    page = participant_page
    page.open_session(session)
    page.wait_for_timeout(3000)
    before = page.evaluate("window.stresslabCapture.nextSeq")
    page.reload()
    page.wait_for_selector("#capture[data-tracking='on']", timeout=90_000)
    ParticipantBot(page).run_until_finished(str(session.uuid), timeout_s=90)
    frames = assert_contiguous_and_unique(session)
    assert len(frames) > before >= 8
    starts = SessionEvent.objects.filter(session=session, name="phase_start").count()
    assert starts == 2  # the unfinished phase ran again after the reload
    assert SessionEvent.objects.filter(session=session, name="phase_end").count() == 1
