"""axe-core on every public page and every form, in English and in Bahasa Indonesia.

The demo data (seminar_app.demo.load_demo) gives a published forum with an agenda, co-host
logos and delegates. Each page is checked with axe-core, vendored from the npm registry in
tests/e2e/vendor/ and injected by the tests (the app never serves it): the browsing fixture
runs it on every document of every browser test (tests/e2e/pages.py), and no violation of the
WCAG 2 A/AA rules, of any impact, is allowed. Here every visible form control also has an
accessible name.
Refused forms tie each error to its field (aria-invalid, aria-describedby) and focus the first
one; text on the event page's gradient, which axe cannot judge, is measured here; the skip
link and the staff login work with the keyboard alone.
"""

import pytest

from seminar_app.demo import FORUM, load_demo
from seminar_app.extensions import db
from seminar_app.models import Event, InvitationResponse, Invitee
from seminar_app.services.invitations.invitations import invitee_token
from seminar_app.services.invitations.mailings import unsubscribe_token
from tests.conftest import PASSWORD
from tests.e2e.pages import AXE_ON, log_in, release_db
from tests.factories import make_registration

pytestmark = pytest.mark.e2e

ORGANIZER = "organizer@demo.seminar.test"
LANGUAGES = ("en", "id")

UNNAMED_CONTROLS = """() => {
    const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    const controls = document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea');
    return [...controls].filter(visible).filter(el => {
        if (el.labels && el.labels.length) return false;
        if ((el.getAttribute('aria-label') || '').trim()) return false;
        const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
        if (ids.some(id => (document.getElementById(id)?.textContent || '').trim())) return false;
        return !(el.getAttribute('title') || '').trim();
    }).map(el => el.outerHTML.slice(0, 160));
}"""

#: text on the event page's gradient, which axe leaves "incomplete": its contrast against the
#: lighter end of the gradient, with the text's opacity, in the WCAG AA formula
HERO_CONTRASTS = """() => {
    const hero = document.querySelector('.event-hero');
    const stops = getComputedStyle(hero).backgroundImage.match(/rgba?\\([^)]+\\)/g)
        .map(c => c.match(/[\\d.]+/g).map(Number));
    const lum = rgb => rgb.slice(0, 3).map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const opacity = el => el === hero
        ? 1 : Number(getComputedStyle(el).opacity) * opacity(el.parentElement);
    const ownText = el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    return [...hero.querySelectorAll('h1, p, time')].filter(ownText).map(el => {
        const color = getComputedStyle(el).color.match(/[\\d.]+/g).map(Number);
        const alpha = (color[3] ?? 1) * opacity(el);
        const ratios = stops.map(bg => {
            const fg = color.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
            const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
            return (a + 0.05) / (b + 0.05);
        });
        return [el.textContent.trim().slice(0, 40), Math.min(...ratios)];
    });
}"""

@pytest.fixture
def demo(app, monkeypatch):
    """The demo events and accounts (password: the tests' PASSWORD) and one delegate's link."""
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", PASSWORD)
    load_demo()
    forum = db.session.scalar(db.select(Event).where(Event.slug == FORUM["slug"]))
    _registration, token = make_registration(forum, given_name="Ayu", family_name="Lestari")
    invitee = db.session.scalar(db.select(Invitee).where(
        Invitee.event_id == forum.id, Invitee.response == InvitationResponse.PENDING)
        .order_by(Invitee.id).limit(1))  # the same one on every database, whatever the row order
    facts = {"slug": forum.slug, "event_id": forum.id, "token": token,
             "invitation": invitee_token(invitee), "invitee_id": invitee.id,
             "unsubscribe": unsubscribe_token(invitee)}
    release_db()
    return facts


def _check(page, name: str, found: dict[str, list[str]]) -> None:
    """Record the visible controls of ``page`` without an accessible name.

    axe-core itself runs on every document of every browser test (tests/e2e/pages.py,
    ``AxeWatch``): a violation there fails the test that visited the page.
    """
    page.wait_for_load_state("load")
    lines = [f"control without an accessible name: {html}"
             for html in page.evaluate(UNNAMED_CONTROLS)]
    if lines:
        found[name] = lines


def _errors_announced(page) -> int:
    """How many controls are marked invalid; fails unless each points at its visible message."""
    problems = page.evaluate("""() => [...document.querySelectorAll('[aria-invalid=true]')]
        .filter(el => !(el.getAttribute('aria-describedby') || '').split(/\\s+/)
            .filter(Boolean).map(id => document.getElementById(id))
            .some(note => note && note.textContent.trim()
                  && note.classList.contains('invalid-feedback')))
        .map(el => el.outerHTML.slice(0, 160))""")
    assert not problems, "errors not tied to their fields:\n" + "\n".join(problems)
    return page.locator("[aria-invalid=true]").count()


def _fail_unless_clean(found: dict[str, list[str]]) -> None:
    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())
    print(report)
    assert not found, "accessibility violations:\n" + report


def _new_page(browsing, language: str):
    page = browsing.new_page()
    page.context.add_cookies([{"name": "lang", "value": language, "url": browsing.base_url}])
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_serious_violations(browsing, demo, language):
    browsing.allow_status(422)
    found: dict[str, list[str]] = {}
    page = _new_page(browsing, language)
    assert page.goto("/").ok
    assert page.locator("html").get_attribute("lang") == language
    _check(page, "home", found)
    page.goto(f"/events/{demo['slug']}")
    _check(page, "event page", found)
    contrasts = page.evaluate(HERO_CONTRASTS)
    assert len(contrasts) >= 4
    low = [f"{text!r}: {ratio:.2f}" for text, ratio in contrasts if ratio < 4.5]
    assert not low, "text on the event's gradient below 4.5:1: " + ", ".join(low)
    page.goto(f"/events/{demo['slug']}/register")
    _check(page, "registration form", found)
    page.locator("form[action$='/register'] [type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator(".invalid-feedback, .alert-danger").first.is_visible()
    _check(page, "registration form with errors", found)
    assert _errors_announced(page) > 0
    assert page.evaluate("() => document.activeElement.getAttribute('aria-invalid')") == "true"
    for name, url in (("personal page", f"/r/{demo['token']}"),
                      ("registration edit form", f"/r/{demo['token']}/edit"),
                      ("registration cancel form", f"/r/{demo['token']}/cancel"),
                      ("invitation", f"/i/{demo['invitation']}"),
                      ("invitation decline form", f"/i/{demo['invitation']}/decline"),
                      ("invitation registration form", f"/i/{demo['invitation']}/register"),
                      ("unsubscribe page", f"/u/{demo['unsubscribe']}"),
                      ("delegation form", f"/events/{demo['slug']}/register/delegation")):
        assert page.goto(url).ok, url
        _check(page, name, found)
    _fail_unless_clean(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_pages_have_no_serious_violations(browsing, demo, language):
    browsing.allow_status(422)
    browsing.allow_status(401)
    found: dict[str, list[str]] = {}
    page = _new_page(browsing, language)
    page.goto("/manage/login")
    _check(page, "login", found)
    submit = page.locator("form[action$='/manage/login'] [type=submit]")
    submit.click()
    page.wait_for_load_state("load")
    assert _errors_announced(page) == 2
    _check(page, "login with empty fields", found)
    page.locator("#email").fill(ORGANIZER)
    page.locator("#password").fill("not the password")
    submit.click()
    page.wait_for_load_state("load")
    assert page.locator(".alert-danger[role=alert]").is_visible()
    _check(page, "login with a wrong password", found)
    log_in(page, ORGANIZER)
    _check(page, "organizer's events", found)
    event = demo["event_id"]
    for name, url in (("event edit form", f"/manage/events/{event}/edit"),
                      ("participants", f"/manage/events/{event}/registrations"),
                      ("check-in desk", f"/manage/events/{event}/checkin"),
                      ("new event form", "/manage/events/new"),
                      ("event overview", f"/manage/events/{event}"),
                      ("agenda", f"/manage/events/{event}/agenda"),
                      ("co-hosts", f"/manage/events/{event}/cohosts"),
                      ("questions", f"/manage/events/{event}/questions"),
                      ("team", f"/manage/events/{event}/team"),
                      ("staff registration form", f"/manage/events/{event}/registrations/new"),
                      ("documents", f"/manage/events/{event}/documents"),
                      ("invitation list", f"/manage/events/{event}/invitations"),
                      ("invitee", f"/manage/events/{event}/invitations/{demo['invitee_id']}"),
                      ("new invitee form", f"/manage/events/{event}/invitations/new"),
                      ("invitee import", f"/manage/events/{event}/invitations/import"),
                      ("mailings", f"/manage/events/{event}/invitations/mailings"),
                      ("new mailing", f"/manage/events/{event}/invitations/mailings/new"),
                      ("wording", f"/manage/events/{event}/invitations/templates/invitation"),
                      ("staff delegation form",
                       f"/manage/events/{event}/registrations/delegation/new"),
                      ("event dashboard", f"/manage/events/{event}/dashboard"),
                      ("dashboard of all events", "/manage/dashboard"),
                      ("API tokens", "/manage/api-tokens"),
                      ("account", "/manage/account")):
        assert page.goto(url).ok, url
        _check(page, name, found)
    _fail_unless_clean(found)


def _tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} never got the focus with Tab")


def test_skip_link_and_staff_login_with_the_keyboard_alone(browsing, demo):
    page = browsing.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    page.goto("/manage/login")
    assert page.evaluate("() => document.activeElement.id") == "email"
    page.keyboard.type(ORGANIZER)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/manage/")
    _tab_to(page, f"a[href$='/manage/events/{demo['event_id']}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/manage/events/{demo['event_id']}")


@pytest.mark.skipif(not AXE_ON, reason="E2E_AXE=0: the automatic checks are off")
def test_every_page_is_checked_even_when_the_test_moves_on_at_once(browsing, live_server):
    """The automatic axe check can fail: a page with red text on pink, left by a click as
    soon as it loaded, is reported with its rule and selector (then forgiven here)."""
    page = browsing.new_page(phone=True)
    bad = ('<!doctype html><html lang="en"><title>Probe</title><main>'
           '<p class="probe" style="color:#e4606d;background:#f8d7da">Row 3: bad email</p>'
           '<a id="next" href="/">Next</a></main></html>')
    page.route("**/axe-probe", lambda route: route.fulfill(
        status=200, content_type="text/html", body=bad,
        headers={"Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'"}))
    page.goto("/axe-probe")
    page.locator("#next").click()  # at once: the check of the probe still runs
    page.wait_for_url(f"{live_server}/")
    found = [line for line in browsing.problems.axe if "/axe-probe" in line]
    assert len(found) == 1, browsing.problems.axe
    assert "color-contrast (serious)" in found[0] and found[0].endswith("-> p"), found
    browsing.problems.axe.clear()
