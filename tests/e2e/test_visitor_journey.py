"""A visitor on a phone and on a desktop: languages, the event list, an event's page."""

import re

import pytest
from playwright.sync_api import expect

from seminar_app.demo import FORUM, FORUM_ID, WORKSHOP, load_demo
from tests.e2e.pages import has_no_horizontal_scroll, image_loaded, release_db, screenshot

pytestmark = pytest.mark.e2e

INDONESIAN_WEEKDAY = re.compile(r"Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu")


@pytest.fixture
def demo_events():
    """The demo forum, seminar and workshop, published and public."""
    load_demo()
    release_db()


def _switch_language(page, name: str) -> None:
    """Use the header's language menu; on a phone, open the collapsed navigation first."""
    toggler = page.locator("button.navbar-toggler")
    if toggler.is_visible():
        toggler.tap()
        # wait for the end of the collapse animation, or the next tap may land beside
        expect(page.locator("#nav-main")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.locator("#language-menu").tap()
    link = page.locator(".dropdown-menu.show").get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    with page.expect_navigation():
        link.tap()


def _cards(page):
    return page.locator("article.card-event")


def test_visitor_on_phone_in_indonesian(browsing, demo_events):
    """Language from the browser, the switcher, search and filters, a page that fits."""
    page = browsing.new_page(phone=True, locale="id-ID")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(_cards(page)).to_have_count(3)
    expect(page.locator("button.navbar-toggler")).to_be_visible()
    expect(page.locator("#nav-main")).to_be_hidden()
    assert has_no_horizontal_scroll(page)
    screenshot(page, "home_phone_id")

    _switch_language(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _switch_language(page, "Bahasa Indonesia")
    expect(page.locator("html")).to_have_attribute("lang", "id")

    search = page.locator("form[role=search]")
    search.locator("#filter-q").fill("Makassar")
    search.locator("#filter-q").press("Enter")
    expect(_cards(page)).to_have_count(1)
    expect(_cards(page)).to_contain_text(WORKSHOP["title"])
    expect(search.locator("#filter-q")).to_have_value("Makassar")

    search.locator("#filter-q").fill("")
    search.locator("#filter-type").select_option("forum")
    search.locator("button[type=submit]").tap()
    expect(_cards(page)).to_have_count(1)
    page.get_by_role("link", name=FORUM_ID["title"]).tap()  # the Indonesian title

    page.wait_for_url(f"**/events/{FORUM['slug']}")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1#event-title")).to_have_text(FORUM_ID["title"])
    first_day = page.locator(".agenda-day h3").first
    expect(first_day).to_have_text(INDONESIAN_WEEKDAY)
    expect(page.locator(".agenda-day").first).to_contain_text("08.00")
    expect(page.locator(".event-hero").get_by_role("link", name="Daftar")).to_be_visible()
    assert image_loaded(page, "#cohosts-heading ~ ul img.cohost-logo")
    assert has_no_horizontal_scroll(page)
    screenshot(page, "event_phone")
    browsing.assert_clean()


def test_visitor_on_desktop(browsing, demo_events):
    """The list in Indonesian and an event's page in English on a wide screen."""
    page = browsing.new_page(locale="id-ID")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("button.navbar-toggler")).to_be_hidden()
    expect(_cards(page)).to_have_count(3)
    assert has_no_horizontal_scroll(page)
    screenshot(page, "home_desktop_id")

    page = browsing.new_page(locale="en-GB")
    page.goto(f"/events/{FORUM['slug']}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".agenda-day")).to_have_count(2)
    for index in range(len(FORUM["cohosts"])):
        assert image_loaded(page, f"#cohosts-heading ~ ul li:nth-child({index + 1}) img")
    assert has_no_horizontal_scroll(page)
    screenshot(page, "event_desktop")
    browsing.assert_clean()
