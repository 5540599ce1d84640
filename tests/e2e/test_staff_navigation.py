"""Staff finding their way on a phone and on a desktop (issue 14), in both languages.

One walk per (viewport, language): "My events" with its direct "Check-in desk" link, the
event's tabs (all in view, the rest under "More", opened and followed with the keyboard alone,
the current tab marked also when it is inside "More"), the participant list with each status in
view, the check-in desk reached from "My events", and the public event page whose white text
on the banner's gradient is measured at every point. axe-core checks every page visited
(tests/e2e/pages.py).
"""

import re

import pytest
from playwright.sync_api import expect

from seminar_app.models import RegistrationStatus
from tests.e2e.pages import has_no_horizontal_scroll, log_in, release_db, wait_until
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
TEXT = {
    "en": {"more": "More", "desk": "Check-in desk", "invitations": "Invitations",
           "documents": "Documents", "checkin": "Check-in"},
    "id": {"more": "Lainnya", "desk": "Meja registrasi ulang", "invitations": "Undangan",
           "documents": "Dokumen", "checkin": "Registrasi ulang"},
}

#: the event tabs' layout: the list fits its box, and each shown tab lies inside the viewport
TAB_LAYOUT = """() => {
    const list = document.querySelector('[data-event-tabs]');
    const shown = [...list.children].filter(li => li.offsetWidth > 0);
    return {
        overflows: list.scrollWidth > list.clientWidth + 1,
        outside: shown.filter(li => li.getBoundingClientRect().right > window.innerWidth + 0.5
                                    || li.getBoundingClientRect().left < 0)
                      .map(li => li.textContent.trim()),
        rows: new Set(shown.map(li => Math.round(li.getBoundingClientRect().top))).size,
        widths: [list.clientWidth,
                 ...shown.map(li => Math.round(li.getBoundingClientRect().width))],
        labels: shown.map(li => li.querySelector('.nav-link').textContent.trim()
                                    .replace(/\\s+/g, ' ')),
    };
}"""

#: the links marked current whose list item is displayed: [label, inside "More"]
CURRENT_SHOWN = """() => [...document.querySelectorAll('[data-event-tabs] [aria-current=page]')]
    .filter(a => getComputedStyle(a.closest('li')).display !== 'none')
    .map(a => [a.textContent.trim(), !!a.closest('.dropdown-menu')])"""

#: true when the element is drawn as the current tab (brand underline from app.css)
LOOKS_CURRENT = """el => {
    const style = getComputedStyle(el);
    return style.boxShadow.includes('inset') && Number(style.fontWeight) >= 600;
}"""

#: each row's status badge: [name, shown, fully inside the viewport]
STATUS_IN_VIEW = """selector => [...document.querySelectorAll('#bulk-form tbody tr')].map(row => {
    const badge = [...row.querySelectorAll(selector)].find(b => b.offsetWidth > 0);
    if (!badge) return [row.textContent.trim().slice(0, 40), false, false];
    const box = badge.getBoundingClientRect();
    return [badge.textContent.trim(), true, box.left >= 0 && box.right <= window.innerWidth];
})"""

#: the lowest contrast of each text in the event banner over every point of its gradient,
#: with the text's colour and opacity (WCAG 2 formula)
BANNER_CONTRASTS = """() => {
    const hero = document.querySelector('.event-hero');
    const stops = getComputedStyle(hero).backgroundImage.match(/rgba?\\([^)]+\\)/g)
        .map(c => c.match(/[\\d.]+/g).map(Number));
    const points = [];
    for (let i = 0; i + 1 < stops.length; i++)
        for (let s = 0; s <= 50; s++)
            points.push(stops[i].slice(0, 3).map((v, k) => v + (stops[i + 1][k] - v) * s / 50));
    const lum = rgb => rgb.map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const opacity = el => el === hero
        ? 1 : Number(getComputedStyle(el).opacity) * opacity(el.parentElement);
    const ownText = el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const onGradient = el => getComputedStyle(el).backgroundColor === 'rgba(0, 0, 0, 0)'
        && !el.closest('.badge, .btn-light');
    const texts = [...hero.querySelectorAll('*')].filter(ownText).filter(onGradient);
    return {stops: stops.length, texts: texts.map(el => {
        const color = getComputedStyle(el).color.match(/[\\d.]+/g).map(Number);
        const alpha = (color[3] ?? 1) * opacity(el);
        const ratios = points.map(bg => {
            const fg = color.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
            const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
            return (a + 0.05) / (b + 0.05);
        });
        return [el.textContent.trim().slice(0, 40), Math.min(...ratios)];
    })};
}"""


@pytest.fixture
def forum(make_user):
    """An organizer's event with four delegates (long names), and a second event; the
    organizer has an account in each language, the other one on the event's team."""
    organizer = make_user("organizer", language="en")
    colleague = make_user("organizer", language="id")
    event = create_event(organizer, title="Forum on South-South Cooperation",
                         theme="Partnerships for Development")
    for given, family, status in (
            ("Siti Nurhaliza", "Rahmawati Kusumawardhani", RegistrationStatus.CONFIRMED),
            ("Ahmad", "bin Abdullah Al-Mansouri", RegistrationStatus.WAITLISTED),
            ("Ana", "Pereira da Costa", RegistrationStatus.PENDING),
            ("Thandiwe", "Mokoena-Dlamini", RegistrationStatus.CANCELLED)):
        add_registration(event, given_name=given, family_name=family, status=status)
    second = create_event(colleague, title="Maritime Dialogue")
    add_team_member(event, colleague, can_manage=True)
    add_team_member(second, organizer, can_manage=True)
    facts = {"event_id": event.id, "slug": event.slug, "title": event.title,
             "en": organizer.email, "id": colleague.email}
    release_db()
    return facts


def _desk_name(text, forum) -> re.Pattern:
    """The accessible name of the event's "Check-in desk" link (the title is visually hidden)."""
    return re.compile(rf"^{re.escape(text['desk'])}\s*:\s*{re.escape(forum['title'])}$")


def _tabs_fit(page) -> list[str]:
    """The labels of the tabs shown; fails unless all of them fit the tab bar and viewport."""
    layout = page.evaluate(TAB_LAYOUT)
    assert not layout["overflows"], f"the tabs overflow: {layout}"
    assert not layout["outside"], f"tabs outside the viewport: {layout['outside']}"
    assert layout["rows"] == 1, f"the tabs take {layout['rows']} rows: {layout}"
    return layout["labels"]


def _open_more_with_the_keyboard_and_follow(page, label: str) -> None:
    """Focus "More", open it with Enter, walk down with the arrow keys to ``label``, Enter."""
    toggle = page.locator("#event-tabs-more")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu = page.locator("[data-event-tabs] .dropdown-menu")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")  # closes, the focus stays on the toggle
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("() => document.activeElement.id") == "event-tabs-more"
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    for _ in range(12):
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("() => document.activeElement.textContent.trim()")
        if focused == label:
            break
    else:
        pytest.fail(f"{label!r} never got the focus in the menu")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize(("phone", "language"), [(True, "id"), (False, "en")],
                         ids=["phone-id", "desktop-en"])
def test_staff_find_their_way_on_a_phone_and_a_desktop(browsing, forum, phone, language):
    text = TEXT[language]
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    if not phone:
        page.set_viewport_size(DESKTOP)
    page.context.add_cookies([{"name": "lang", "value": language, "url": browsing.base_url}])
    event_id = forum["event_id"]

    # "My events": each event has a direct "Check-in desk" link, in view
    log_in(page, forum[language])
    assert page.locator("html").get_attribute("lang") == language
    desks = page.locator("[data-checkin-desk]")
    expect(desks).to_have_count(2)
    desk = page.get_by_role("link", name=_desk_name(text, forum))
    expect(desk).to_be_visible()
    box = desk.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    assert has_no_horizontal_scroll(page)

    # the event's tabs: the most used ones in view, the rest under "More"
    page.get_by_role("link", name=forum["title"], exact=True).click()
    page.wait_for_url(f"**/manage/events/{event_id}")
    labels = _tabs_fit(page)
    assert text["checkin"] in labels and labels[-1] == text["more"], labels
    # Invitations: a tab on a desktop, under "More" on a phone
    assert (text["invitations"] in labels) is not phone, labels
    assert has_no_horizontal_scroll(page)

    # a tab inside "More", with the keyboard alone; then it is marked current
    _open_more_with_the_keyboard_and_follow(page, text["documents"])
    page.wait_for_url(f"**/manage/events/{event_id}/documents")
    toggle = page.locator("#event-tabs-more")
    assert page.evaluate(LOOKS_CURRENT, toggle.element_handle())
    current = page.locator("[data-event-tabs] [aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(text["documents"])
    toggle.press("Enter")
    expect(current).to_be_visible()
    page.keyboard.press("Escape")
    _tabs_fit(page)

    # Invitations: a tab on a desktop, inside "More" on a phone (marked there)
    if phone:
        _open_more_with_the_keyboard_and_follow(page, text["invitations"])
    else:
        page.locator("[data-event-tabs] > li > .nav-link", has_text=text["invitations"]).click()
    page.wait_for_url(f"**/manage/events/{event_id}/invitations")
    assert page.evaluate(LOOKS_CURRENT, toggle.element_handle()) is phone
    assert page.evaluate(CURRENT_SHOWN) == [[text["invitations"], phone]]

    # the participant list: every status in view, next to the name on a phone
    page.goto(f"/manage/events/{event_id}/registrations")
    selector = "[data-status-phone] .badge" if phone else "td[data-status] .badge"
    rows = page.evaluate(STATUS_IN_VIEW, selector)
    assert len(rows) == 4
    assert all(shown and inside for _name, shown, inside in rows), rows
    tab = page.locator("[data-event-tabs] .nav-link.active")
    expect(tab).to_have_attribute("aria-current", "page")
    _tabs_fit(page)

    # from "My events" (the breadcrumb) straight to the desk
    page.locator(".breadcrumb a").first.click()
    page.wait_for_url("**/manage/")
    page.get_by_role("link", name=_desk_name(text, forum)).click()
    page.wait_for_url(f"**/manage/events/{event_id}/checkin")
    expect(page.locator("[data-event-tabs] .nav-link.active")).to_have_text(text["checkin"])
    _tabs_fit(page)
    assert has_no_horizontal_scroll(page)

    # the public event page: white text on the banner at WCAG AA at every point
    page.goto(f"/events/{forum['slug']}")
    wait_until(page, "() => document.readyState === 'complete'")
    found = page.evaluate(BANNER_CONTRASTS)
    assert found["stops"] >= 2 and len(found["texts"]) >= 4, found
    low = [f"{name!r}: {ratio:.2f}" for name, ratio in found["texts"] if ratio < 4.5]
    assert not low, "text on the banner's gradient below 4.5:1: " + ", ".join(low)

    # the other language's labels fit this viewport too
    other = "en" if language == "id" else "id"
    page = browsing.new_page(phone=phone)
    if not phone:
        page.set_viewport_size(DESKTOP)
    log_in(page, forum[other])
    page.goto(f"/manage/events/{event_id}/team")
    assert page.locator("html").get_attribute("lang") == other
    labels = _tabs_fit(page)
    assert TEXT[other]["checkin"] in labels and labels[-1].startswith(TEXT[other]["more"]), labels
    browsing.assert_clean()
