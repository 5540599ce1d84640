"""A head of delegation registers three colleagues in one submission, on a desktop browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import release_db
from tests.factories import registration_event

pytestmark = pytest.mark.e2e


@pytest.fixture
def forum(make_user):
    event = registration_event(make_user("organizer"), title="Maritime Forum", capacity=10)
    facts = {"slug": event.slug}
    release_db()
    return facts


def test_head_adds_member_rows_and_registers_the_delegation(browsing, forum, smtp_server):
    page = browsing.new_page()
    page.goto(f"/events/{forum['slug']}/register/delegation")
    rows = page.locator("[data-member-rows] [data-member-row]")
    start = rows.count()
    add = page.get_by_role("button", name="Add a member")
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
    form.get_by_role("button", name="Register the delegation").click()

    page.wait_for_url(re.compile(r"/r/"))
    expect(page.locator(".flash-messages")).to_be_visible()
    # the head, the two filled rows, the added row, and the head's summary
    messages = smtp_server.wait_for(5)
    recipients = sorted(m["to"][0] for m in messages)
    assert recipients == sorted(["head@th.example.org", "head@th.example.org",
                                 "anong@th.example.org", "preecha@th.example.org",
                                 "malee@th.example.org"])
    browsing.assert_clean()
