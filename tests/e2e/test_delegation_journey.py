"""A head of delegation registers three colleagues in one submission, on a desktop in English
and on a phone in Bahasa Indonesia."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import has_no_horizontal_scroll, release_db
from tests.factories import registration_event

pytestmark = pytest.mark.e2e


@pytest.fixture
def forum(make_user):
    event = registration_event(make_user("organizer"), title="Maritime Forum", capacity=10)
    facts = {"slug": event.slug}
    release_db()
    return facts


#: (phone, language): a head on a desktop in English, and one on a phone in Bahasa Indonesia
JOURNEYS = [pytest.param(False, "en", id="desktop-en"), pytest.param(True, "id", id="phone-id")]
TEXTS = {"en": {"add": "Add a member", "register": "Register the delegation"},
         "id": {"add": "Tambah anggota", "register": "Daftarkan delegasi"}}


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_head_adds_member_rows_and_registers_the_delegation(browsing, forum, smtp_server,
                                                            phone, language):
    texts = TEXTS[language]
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    page.goto(f"/events/{forum['slug']}/register/delegation")
    expect(page.locator("html")).to_have_attribute("lang", language)
    rows = page.locator("[data-member-rows] [data-member-row]")
    start = rows.count()
    add = page.get_by_role("button", name=texts["add"])
    expect(add).to_be_visible()  # with JavaScript the "more rows" link gives way to a button
    add.click()
    expect(rows).to_have_count(start + 1)
    new_row = rows.last
    expect(new_row.locator("input, select").first).to_be_focused()

    form = page.locator("form[action$='/register/delegation']")
    form.locator("#honorific").select_option("amb")
    form.locator("#given_name").fill("Somchai")
    form.locator("#family_name").fill("Wongsakul")
    form.locator("#email").fill("head@th.example.org")
    form.locator("#country").select_option("TH")
    form.locator("#organisation").fill("Ministry of Foreign Affairs of Thailand")
    for index, (given, family) in enumerate([("Anong", "Srisuk"), ("Preecha", "Kittisak")]):
        row = rows.nth(index)
        row.locator("select[name$='-honorific']").select_option("mr" if index else "ms")
        row.locator("input[name$='-given_name']").fill(given)
        row.locator("input[name$='-family_name']").fill(family)
        row.locator("input[name$='-email']").fill(f"{given.lower()}@th.example.org")
    new_row.locator("select[name$='-honorific']").select_option("dr")
    new_row.locator("input[name$='-given_name']").fill("Malee")
    new_row.locator("input[name$='-family_name']").fill("Chaiyo")
    new_row.locator("input[name$='-email']").fill("malee@th.example.org")
    form.locator("#consent").check()
    if phone:
        assert has_no_horizontal_scroll(page)
    form.get_by_role("button", name=texts["register"]).click()

    page.wait_for_url(re.compile(r"/r/"))
    expect(page.locator(".flash-messages")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    if phone:
        assert has_no_horizontal_scroll(page)
    # the head, the two filled rows, the added row, and the head's summary
    messages = smtp_server.wait_for(5)
    recipients = sorted(m["to"][0] for m in messages)
    assert recipients == sorted(["head@th.example.org", "head@th.example.org",
                                 "anong@th.example.org", "preecha@th.example.org",
                                 "malee@th.example.org"])
    browsing.assert_clean()
