"""Staff invite officials by email; one accepts through the personal link, one declines.

Journey 3 of issue 5: a staff member with the invite right imports invitees from a CSV file
(preview first), sends the invitations (real SMTP sink), an invitee opens the link from the
email on a phone and registers with the form prefilled, another declines with a reason, and
the tracking page shows both answers.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import has_no_horizontal_scroll, log_in, release_db, screenshot
from tests.factories import add_team_member, registration_event

pytestmark = pytest.mark.e2e

RSVP_LINK = re.compile(r"https?://\S+?(/i/[A-Za-z0-9_-]+)")
CSV = (
    "Honorific,Name,Email,Country,Organisation,Position,Language,Group\n"
    "H.E.,Retno Marsudi,retno@example.org,Indonesia,Kementerian Luar Negeri,Menteri,id,ASEAN\n"
    "Amb.,Kwame Mensah,kwame@example.org,GH,Embassy of Ghana,Ambassador,en,Africa\n"
    "Dr.,Broken Row,not-an-email,Atlantis,Nowhere,,en,\n"
)


@pytest.fixture
def mail(app, smtp_server, live_server, monkeypatch):
    """The SMTP sink, with the links in emails pointing at the live server."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    return smtp_server


@pytest.fixture
def forum(make_user):
    organizer = make_user("organizer")
    staff = make_user("staff", name="Protocol Officer")
    event = registration_event(organizer, title="South-South Forum", slug="ssc-forum")
    add_team_member(event, staff, can_invite=True)
    facts = {"event_id": event.id, "staff": staff.email, "slug": event.slug}
    release_db()
    return facts


def _link_for(sink, address: str, count: int) -> str:
    messages = sink.wait_for(count)
    for item in messages:
        if item["to"] == [address]:
            text = item["message"].get_body(("plain",)).get_content()
            found = RSVP_LINK.search(text)
            assert found, f"no personal link in the email to {address}"
            return found.group(1)
    raise AssertionError(f"no email to {address}")


def test_staff_invite_one_accepts_and_registers_another_declines(browsing, forum, mail, tmp_path):
    base = f"/manage/events/{forum['event_id']}/invitations"
    page = browsing.new_page()
    log_in(page, forum["staff"])

    # 1. import: a preview with the problems first, then only the valid rows
    page.goto(f"{base}/import")
    upload = tmp_path / "invitees.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("body")).to_contain_text("Enter a valid email address.")
    expect(page.locator("body")).to_contain_text("Retno Marsudi")
    screenshot(page, "invitations_import_preview")
    page.get_by_role("button", name=re.compile(r"Add 2 new invitees")).click()
    expect(page).to_have_url(re.compile(rf"{base}$"))
    rows = page.locator("#invitee-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Kwame Mensah")).to_contain_text("Not sent")

    # 2. send the invitations to everyone on the list
    page.goto(f"{base}/mailings/new?kind=invitation")
    expect(page.locator("#audience-count")).to_contain_text("2")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("[data-recipients]")).to_contain_text("2 people will receive")
    page.get_by_role("button", name="Confirm: send to 2 people").click()
    expect(page.locator("body")).to_contain_text("2")
    retno_link = _link_for(mail, "retno@example.org", 2)
    kwame_link = _link_for(mail, "kwame@example.org", 2)
    messages = {item["to"][0]: item["message"] for item in mail.wait_for(2)}
    assert "List-Unsubscribe" in messages["kwame@example.org"]
    assert messages["retno@example.org"].get_body(("html",)) is not None

    # 3. Retno accepts on her phone; the form comes prefilled from the invitation
    phone = browsing.new_page(phone=True)
    phone.goto(retno_link)
    expect(phone.locator("html")).to_have_attribute("lang", "id")  # her language
    expect(phone.locator("body")).to_contain_text("South-South Forum")
    assert has_no_horizontal_scroll(phone)
    screenshot(phone, "invitation_rsvp_phone_id")
    phone.locator(f"a[href*='{retno_link}/register']").tap()
    form = phone.locator(f"form[action*='{retno_link}/register']")
    expect(form.locator("#email")).to_have_value("retno@example.org")
    expect(form.locator("#organisation")).to_have_value("Kementerian Luar Negeri")
    expect(form.locator("#family_name")).to_have_value("Marsudi")
    form.locator("#delegation_role").select_option("head")
    form.locator("#consent").check()
    form.locator("button[type=submit]").tap()
    phone.wait_for_url(re.compile(r"/r/"))
    expect(phone.locator("html")).to_have_attribute("lang", "id")
    expect(phone.locator(".flash-messages")).to_contain_text("pendaftaran Anda telah dikonfirmasi")
    expect(phone.locator(".alert-success[role=status]")).to_contain_text("Terkonfirmasi")

    # 4. Kwame declines with a reason
    other = browsing.new_page()
    other.goto(kwame_link)
    other.locator(f"a[href*='{kwame_link}/decline']").click()
    other.locator("textarea").fill("The Ambassador is travelling that week.")
    other.get_by_role("button", name="Decline the invitation").click()
    expect(other.locator("body")).to_contain_text("The Ambassador is travelling that week.")

    # 5. the tracking page shows both answers and the funnel
    page.goto(base)
    expect(rows.filter(has_text="Retno Marsudi")).to_contain_text("Accepted")
    expect(rows.filter(has_text="Kwame Mensah")).to_contain_text("Declined")
    screenshot(page, "invitations_tracking")
    browsing.assert_clean()
