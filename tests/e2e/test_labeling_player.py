"""An annotator plays a session in the player and labels it with the mouse and the keyboard."""
from __future__ import annotations

import pytest

from collector.models import StudyRole
from labeling.models import Assignment, Segment
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    ParticipantFactory,
    StudyFactory,
    UserFactory,
)
from tests.labeling.support import session_with_frames

pytestmark = [pytest.mark.e2e]

FRAMES = 900  # 90 s at 10 fps: two landmarks.bin chunks


def canvas_lit_pixels(page) -> int:
    return page.evaluate("""() => {
        const c = document.getElementById('stage');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 200) lit++;
        return lit;
    }""")


def wait_for_my_segments(page, n: int) -> None:
    """Wait until the timeline shows n of my segments; on timeout, say what the page said."""
    try:
        page.wait_for_function(
            f"document.querySelectorAll('.seg.mine .block').length === {n}", timeout=15_000)
    except Exception as exc:
        status = page.locator("#status").inner_text()
        raise AssertionError(f"expected {n} segments; player status: {status!r}") from exc


def test_annotator_labels_with_mouse_and_keyboard_and_labels_persist(
    live_asgi_url, browser_factory, artifacts_dir
):
    study = StudyFactory(slug="e2e-labels")
    annotator = UserFactory(username="ann")
    MembershipFactory(study=study, user=annotator, role=StudyRole.ANNOTATOR)
    session = session_with_frames(n=FRAMES, participant=ParticipantFactory(study=study))
    Assignment.objects.create(session=session, annotator=annotator)

    browser = browser_factory(None)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{live_asgi_url}/accounts/login/")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.goto(f"{live_asgi_url}/labeling/{study.slug}/")
    page.screenshot(path=artifacts_dir / "01-workspace.png", full_page=True)
    page.click(f"tr[data-session='{session.uuid}'] a")
    page.wait_for_selector(f"#loaded[data-loaded='{FRAMES}']", timeout=30_000)

    page.click("#play")
    page.wait_for_timeout(800)
    page.click("#play")  # pause
    assert page.evaluate("Number(document.getElementById('seek').value)") > 0
    assert canvas_lit_pixels(page) > 300, "the player drew no landmarks"
    page.screenshot(path=artifacts_dir / "02-playing.png", full_page=True)

    # Mouse: drag over 20%..40% of the track with the default label (happy).
    page.locator("#track").scroll_into_view_if_needed()
    box = page.locator("#track").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.mouse.up()
    wait_for_my_segments(page, 1)

    # Keyboard: Shift+4 = stress "high", seek to frame 600, I, 50 frames on, O.
    page.locator("#seek").evaluate("el => el.blur()")
    page.keyboard.press("Shift+Digit4")
    page.evaluate("""() => { const s = document.getElementById('seek');
        s.value = '600'; s.dispatchEvent(new Event('input')); s.blur(); }""")
    page.keyboard.press("i")
    for _ in range(50):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("o")
    wait_for_my_segments(page, 2)
    page.screenshot(path=artifacts_dir / "03-two-segments.png", full_page=True)

    segments = list(Segment.objects.filter(session=session).order_by("start_ms"))
    assert [(s.kind, s.label) for s in segments] == [("emotion", "happy"), ("stress", "high")]
    assert segments[0].start_ms == pytest.approx(0.2 * 89_900, abs=600)
    assert segments[0].end_ms == pytest.approx(0.4 * 89_900, abs=600)
    assert (segments[1].start_ms, segments[1].end_ms) == (60_000.0, 65_000.0)

    # Undo removes the keyboard segment; redoing it by keyboard brings it back.
    page.keyboard.press("Control+z")
    wait_for_my_segments(page, 1)
    assert Segment.objects.filter(session=session).count() == 1
    page.keyboard.press("i")
    for _ in range(50):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("o")
    wait_for_my_segments(page, 2)

    page.reload()
    wait_for_my_segments(page, 2)
    labels = page.locator(".seg.mine .block").all_inner_texts()
    assert sorted(labels) == ["happy", "stress high"]
    page.screenshot(path=artifacts_dir / "04-after-reload.png", full_page=True)
    assert Segment.objects.filter(session=session).count() == 2
    assert not errors, errors
