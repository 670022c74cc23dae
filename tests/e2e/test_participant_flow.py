"""A participant walks a demo-like study in Chromium, from the study link to the thank-you page."""
from __future__ import annotations

import pytest

from collector.models import ConsentRecord, Participant, QuestionnaireResponse, SessionStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    ConsentVersionFactory,
    MembershipFactory,
    StudyFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]

PSS10 = [1, 2, 3, 2, 1, 0, 3, 2, 4, 1]
STAI_PRE = {"calm": 2, "tense": 3, "upset": 1, "relaxed": 2, "content": 3, "worried": 2}
STAI_POST = {"calm": 3, "tense": 2, "upset": 1, "relaxed": 3, "content": 3, "worried": 1}
TLX = {"mental": 80, "physical": 10, "temporal": 65, "performance": 30, "effort": 70,
       "frustration": 45}


def test_participant_completes_the_study_in_chromium(live_asgi_url, browser_factory,
                                                     artifacts_dir):
    study = StudyFactory(
        slug="e2e-demo",
        title="Stress and expression",
        demographics=[
            {"name": "age", "label": "Age in years", "type": "int", "min": 16, "max": 110},
            {"name": "gender", "label": "Gender", "type": "choice",
             "choices": ["Woman", "Man", "Non-binary"]},
        ],
        questionnaires={"pre": ["pss10", "stai6"], "post": ["stai6", "sam", "vas", "nasa_tlx"]},
        protocol={"phases": []},
    )
    version = ConsentVersionFactory(study=study, version=1,
                                    text="We record landmark positions only.")
    browser = browser_factory(
        None, extra_args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    )
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    shots = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=artifacts_dir / f"{next(shots):02d}-{name}.png", full_page=True)

    page.goto(f"{live_asgi_url}/s/{study.slug}/")
    assert page.get_by_text("We record landmark positions only.").is_visible()
    shot("consent")
    page.click("#consent-submit")
    assert page.locator(".error-summary").is_visible()
    shot("consent-error")
    page.get_by_label("I agree to take part", exact=False).check()
    page.click("#consent-submit")

    page.wait_for_url("**/flow/about-you/")
    page.get_by_label("Age in years").fill("29")
    page.get_by_label("Gender").select_option("Non-binary")
    shot("demographics")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/questionnaires/pre/pss10/")
    page.click("#questionnaire-submit")
    assert page.locator("ul.errorlist").count() == 10
    shot("pss10-errors")
    for n, value in enumerate(PSS10, start=1):
        page.check(f"input[name='q{n}'][value='{value}']")
    shot("pss10")
    page.click("#questionnaire-submit")

    def stai(answers: dict[str, int], name: str) -> None:
        for item, value in answers.items():
            page.check(f"input[name='{item}'][value='{value}']")
        shot(name)
        page.click("#questionnaire-submit")

    page.wait_for_url("**/questionnaires/pre/stai6/")
    stai(STAI_PRE, "stai6-pre")

    page.wait_for_url("**/flow/session/")
    finish = page.locator("#finish-session")
    finish.wait_for(state="visible")
    page.wait_for_function("!document.querySelector('#finish-session').disabled")
    shot("session")
    finish.click()

    page.wait_for_url("**/questionnaires/post/stai6/")
    stai(STAI_POST, "stai6-post")
    page.wait_for_url("**/questionnaires/post/sam/")
    for item, value in {"valence": 6, "arousal": 4, "dominance": 7}.items():
        page.check(f"input[name='{item}'][value='{value}']")
    shot("sam")
    page.click("#questionnaire-submit")
    page.wait_for_url("**/questionnaires/post/vas/")
    page.fill("input[name='stress']", "35")
    assert page.locator("output.slider-value").inner_text() == "35"
    shot("vas")
    page.click("#questionnaire-submit")
    page.wait_for_url("**/questionnaires/post/nasa_tlx/")
    for item, value in TLX.items():
        page.fill(f"input[name='{item}']", str(value))
    shot("nasa-tlx")
    page.click("#questionnaire-submit")

    page.wait_for_url("**/flow/thanks/")
    code = page.locator("#participant-code").inner_text()
    shot("thanks")

    participant = Participant.objects.get(code=code)
    record = ConsentRecord.objects.get(participant=participant)
    assert record.consent_version == version and record.withdrawn_at is None
    assert participant.demographics == {"age": 29, "gender": "Non-binary"}
    assert participant.sessions.get().status == SessionStatus.ENDED
    scores = {(r.instrument, r.timing): r.scores
              for r in QuestionnaireResponse.objects.filter(participant=participant)}
    # PSS-10: forward 1+2+3+0+4+1 = 11; reversed items 4,5,7,8: 2+3+1+2 = 8.
    assert scores[("pss10", "pre")] == {"total": 19}
    # STAI-6 pre: 3+3+1+3+2+2 = 14 -> 46.67; post: 2+2+1+2+2+1 = 10 -> 33.33.
    assert scores[("stai6", "pre")] == {"raw": 14, "total": 46.67}
    assert scores[("stai6", "post")] == {"raw": 10, "total": 33.33}
    assert scores[("sam", "post")] == {"valence": 6, "arousal": 4, "dominance": 7}
    assert scores[("vas", "post")] == {"stress": 35}
    assert scores[("nasa_tlx", "post")] == {**TLX, "raw_tlx": 50.0}
    assert all(r.response_time_ms is not None
               for r in QuestionnaireResponse.objects.filter(participant=participant))

    researcher = UserFactory(username="dr-e2e")
    MembershipFactory(study=study, user=researcher)
    page.goto(f"{live_asgi_url}/researcher/")
    page.wait_for_url("**/accounts/login/**")
    page.get_by_label("Username").fill("dr-e2e")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    shot("login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/researcher/")
    shot("researcher-home")
    page.get_by_role("link", name="Stress and expression").click()
    assert page.locator("#participant-count").inner_text() == "1"
    shot("study-detail")

    page.goto(f"{live_asgi_url}/withdraw/")
    page.get_by_label("Your participant code").fill(code.lower())
    page.get_by_label("I understand", exact=False).check()
    shot("withdraw")
    page.click("#withdraw-submit")
    page.wait_for_url("**/withdraw/done/")
    shot("withdrawn")
    participant.refresh_from_db()
    assert participant.withdrawn_at is not None
    assert not QuestionnaireResponse.objects.filter(participant=participant).exists()
    assert not participant.sessions.exists()
