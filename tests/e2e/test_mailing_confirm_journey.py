"""Staff send invitations: "Send now" first shows who receives them and who is left out, in
Bahasa Indonesia on a phone and in English on a desktop; axe finds nothing
(issue 14, "Mailings must never embarrass the ministry")."""

import re

import pytest
from playwright.sync_api import expect

from seminar_app.extensions import db
from seminar_app.models import Mailing, OutboxEmail
from seminar_app.services.invitations import rsvp
from tests.e2e.pages import has_no_horizontal_scroll, log_in, release_db, screenshot
from tests.e2e.test_accessibility import _check, _fail_unless_clean
from tests.factories import add_invitee, add_team_member, registration_event

pytestmark = pytest.mark.e2e

TEXTS = {
    "en": {"send": "Send now", "confirm": "Confirm: send to 2 people",
           "answered": "Already answered (accepted, declined or registered)",
           "receive": "2 people will receive this mailing."},
    "id": {"send": "Kirim sekarang", "confirm": "Konfirmasi: kirim ke 2 orang",
           "answered": "Sudah menjawab (menerima, menolak, atau mendaftar)",
           "receive": "2 orang akan menerima pengiriman ini."},
}


@pytest.fixture
def forum(make_user):
    organizer = make_user("organizer")
    staff = make_user("staff", name="Protocol Officer")
    event = registration_event(organizer, title="South-South Forum", slug="ssc-forum")
    add_team_member(event, staff, can_invite=True)
    add_invitee(event, name="Retno Marsudi", language="id", group_name="ASEAN")
    add_invitee(event, name="Kwame Mensah", language="en", group_name="Africa")
    rsvp.decline_invitation(add_invitee(event, name="Declining Ambassador"))
    facts = {"event_id": event.id, "staff": staff.email}
    release_db()
    return facts


@pytest.mark.parametrize(("phone", "language"), [
    pytest.param(True, "id", id="phone-id"), pytest.param(False, "en", id="desktop-en")])
def test_send_now_confirms_the_breakdown_first(browsing, forum, language, phone):
    texts, found = TEXTS[language], {}
    page = browsing.new_page(phone=phone)
    log_in(page, forum["staff"])
    page.goto(f"/language/{language}")
    page.goto(f"/manage/events/{forum['event_id']}/invitations/mailings/new?kind=invitation")
    expect(page.locator("#audience-count")).to_contain_text(texts["answered"])
    _check(page, "compose", found)
    page.get_by_role("button", name=texts["send"]).click()
    expect(page.locator("[data-recipients]")).to_contain_text(texts["receive"])
    expect(page.locator("[data-left-out] [data-reason=answered]")).to_contain_text("1")
    expect(page.locator("[data-by-language]")).to_contain_text("Bahasa Indonesia")
    assert db.session.scalar(db.select(db.func.count(Mailing.id))) == 0  # nothing queued yet
    release_db()
    _check(page, "confirm", found)
    if phone:
        assert has_no_horizontal_scroll(page)
    screenshot(page, f"mailing_confirm_{'phone' if phone else 'desktop'}_{language}")
    page.get_by_role("button", name=texts["confirm"]).click()
    expect(page).to_have_url(re.compile(r"/mailings/\d+$"))
    expect(page.locator("body")).to_contain_text("South-South Forum")
    expect(page.locator("body")).not_to_contain_text("{event}")
    _check(page, "mailing", found)
    emails = db.session.scalars(db.select(OutboxEmail.recipient_name)).all()
    release_db()
    assert sorted(emails) == ["Kwame Mensah", "Retno Marsudi"]
    _fail_unless_clean(found)
