"""The feedback survey in a browser: the survey email goes through the SMTP sink, a delegate
opens its link on a phone in Bahasa Indonesia, is told what is missing, answers once, and a
second visit says so; the organizer sees the survey page and the results on the dashboard
(every page checked with axe, no console error)."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from seminar_app.models import MailingKind, utcnow
from seminar_app.services.invitations import mailings
from tests.e2e.pages import has_no_horizontal_scroll, log_in, release_db
from tests.factories import add_registration, registration_event
from tests.test_survey_flow import make_survey

pytestmark = pytest.mark.e2e

SURVEY_LINK = re.compile(r"https?://\S+?(/s/s\d+\.[A-Za-z0-9_-]{22})")


@pytest.fixture
def forum(app, make_user, smtp_server, live_server, monkeypatch):
    """An event with an open survey, one checked-in delegate, and the survey email sent."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    organizer = make_user("organizer")
    event = registration_event(organizer, title="South-South Forum", slug="ssc-survey")
    make_survey(event)
    delegate = add_registration(event, language="id", checked_in_at=utcnow(),
                                email="retno@example.org")
    with app.test_request_context():
        mailings.create_mailing(event, MailingKind.SURVEY, {},
                                send_key=secrets.token_urlsafe(24))
    text = smtp_server.wait_for(1)[0]["message"].get_body(("plain",)).get_content()
    facts = {"event_id": event.id, "organizer": organizer.email,
             "link": SURVEY_LINK.search(text).group(1), "delegate": delegate.full_name}
    release_db()
    return facts


def test_delegate_answers_on_a_phone_and_organizer_sees_the_results(browsing, forum):
    browsing.allow_status(422)  # the form sent without the required rating
    browsing.allow_status(409)  # the second visit
    page = browsing.new_page(phone=True, locale="id-ID")
    page.goto(forum["link"])
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1")).to_contain_text("Survei masukan")
    assert has_no_horizontal_scroll(page)
    page.get_by_role("button", name="Kirim jawaban saya").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("Mohon jawab pertanyaan ini.")
    page.get_by_label("4 – baik").check()
    page.get_by_label("Hari kedua").check()
    page.get_by_label("Ada saran?").fill("Lebih banyak sesi diskusi.")
    page.get_by_role("button", name="Kirim jawaban saya").click()
    expect(page.locator("[data-survey-message]")).to_contain_text(
        "Terima kasih: jawaban Anda telah dicatat.")
    page.goto(forum["link"])
    expect(page.locator("[data-survey-message]")).to_contain_text(
        "Anda sudah mengisi survei ini.")
    page.goto(forum["link"] + "?lang=en")
    expect(page.locator("[data-survey-message]")).to_contain_text(
        "You have already answered this survey.")

    staff = browsing.new_page()
    log_in(staff, forum["organizer"])
    staff.goto(f"/manage/events/{forum['event_id']}/survey")
    expect(staff.locator("[data-survey-state]")).to_have_attribute("data-survey-state", "open")
    expect(staff.locator("body")).to_contain_text("1 delegate has answered.")
    staff.goto(f"/manage/events/{forum['event_id']}/dashboard")
    results = staff.locator("#survey-results-section")
    expect(results).to_contain_text("How useful was the forum?")
    expect(results).to_contain_text("Lebih banyak sesi diskusi.")
    expect(results).to_contain_text(forum["delegate"])
    expect(results.locator("[data-survey-rate]")).to_contain_text("100%")
