"""Helpers of the browser tests: pages that record their problems, screenshots, checks.

Every page a test opens through ``Browsing.new_page`` is checked with axe-core (vendored in
tests/e2e/vendor, WCAG 2 A and AA rules): each document once, at its load event; the page's
next navigation waits until that check has reported, and the contexts close only after the
last ones. A violation of any impact is a problem of the test, listed by page, language,
viewport width, rule id and selectors. E2E_AXE=0 turns the checks off (to measure their cost).
"""

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from seminar_app.extensions import db
from tests.conftest import PASSWORD

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
#: the axe-core rule tags of WCAG 2.0, 2.1 and 2.2, levels A and AA
AXE_TAGS = os.environ.get("E2E_AXE_TAGS", "wcag2a wcag2aa wcag21a wcag21aa wcag22aa").split()
#: E2E_AXE=0 turns the automatic checks off (to measure what they cost)
AXE_ON = os.environ.get("E2E_AXE", "1") != "0"
#: the binding through which each document reports its axe results to the test
AXE_BINDING = "__e2eAxeReport"
#: added to every document of a test's contexts (top-level http pages only): axe runs at the
#: load event, which says "start" at once, then sends its violations
AXE_RUNNER = """
window.addEventListener('load', () => {
    const report = window.%(binding)s;
    report({state: 'start'});
    setTimeout(async () => {
        let found = [], error = null;
        try {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: %(tags)s}, resultTypes: ['violations']});
            found = result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        } catch (e) {
            error = String(e);
        }
        report({state: 'done', url: location.href, lang: document.documentElement.lang,
                width: window.innerWidth, violations: found, error});
    }, 0);
});
"""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TIMEOUT_MS = 10_000


@dataclass
class Problems:
    """What went wrong in the pages of one test, as readable lines."""

    lines: list[str] = field(default_factory=list)
    #: (page url, text) of console errors; CSP violations show up here
    console: list[tuple[str, str]] = field(default_factory=list)
    #: requests that failed, with the browser's reason
    failed: list[str] = field(default_factory=list)
    #: url -> status of pages (documents) answered with 4xx/5xx
    documents: dict[str, int] = field(default_factory=dict)
    #: statuses a page may have on purpose in this test, e.g. 422 for a refused form
    allowed_statuses: set[int] = field(default_factory=set)
    #: axe-core violations: page, rule id, impact and the elements' selectors
    axe: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        """Record console errors, script errors and failed requests of ``page``."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.lines.append(f"uncaught error: {error}"))
        page.on("requestfailed", lambda request: self.failed.append(
            f"{request.method} {request.url} ({request.failure})"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            self.console.append((message.location.get("url", ""), message.text))

    def _response(self, response) -> None:
        if response.status < 400:
            return
        if response.request.resource_type == "document":
            self.documents[response.url] = response.status
        else:
            self.lines.append(f"{response.status} for {response.request.method} {response.url}")

    def report(self) -> list[str]:
        """Every problem, leaving out what a test allowed.

        Chromium logs a page answered with 4xx as a console error: it counts only when the
        status was not allowed. A request the browser itself abandoned (net::ERR_ABORTED: the
        page moved on while the favicon loaded, or a link turned into a download) is no fault
        of the server; one that failed to load while the page stayed is a console error.
        """
        problems = list(self.lines)
        problems += [f"page answered {status}: {url}" for url, status in self.documents.items()
                     if status not in self.allowed_statuses]
        problems += [f"console error on {url}: {text}" for url, text in self.console
                     if not (url in self.documents and text.startswith("Failed to load"))]
        problems += [f"request failed: {text}" for text in self.failed
                     if "net::ERR_ABORTED" not in text]
        problems += [f"axe: {line}" for line in dict.fromkeys(self.axe)]
        return problems


@dataclass
class AxeCost:
    """How many documents axe checked in this run, and how long that took."""

    pages: int = 0
    seconds: float = 0.0
    #: url -> number of checks, to see which pages the suite visits most
    urls: dict[str, int] = field(default_factory=dict)


AXE_COST = AxeCost()
_AXE_SCRIPT: list[str] = []  # the init script with the vendored source, built once per run


def axe_init_script() -> str:
    """axe-core and its runner, for documents of top-level http(s) pages only."""
    if not _AXE_SCRIPT:
        runner = AXE_RUNNER % {"binding": AXE_BINDING, "tags": AXE_TAGS}
        _AXE_SCRIPT.append(
            "if (window.top === window && location.protocol.startsWith('http')) {\n"
            + AXE_SOURCE.read_text(encoding="utf-8") + ";\n" + runner + "}\n")
    return _AXE_SCRIPT[0]


class AxeWatch:
    """axe-core on every document of ``page``, and no document left before it was checked.

    The page runs axe itself at each load event (an init script of the context: axe-core is
    parsed once per document) and reports through a binding, "start" at once and then the
    violations. A page must not leave a document whose check is still running: the next
    main-frame navigation is held by a route until the report arrives (the route lets every
    other request through at once; like any route it turns the page's HTTP cache off, which
    costs little from a loopback server). (axe cannot be run
    from the test at that moment: Chromium holds DevTools messages to a page while it
    navigates, and a load-event handler in Python races the test's next click. An extra
    DevTools session with the Fetch domain would also hold documents only, but attaching one
    undoes the context's offline emulation.) The document a page shows at the end is
    awaited by ``Browsing.close``.
    """

    def __init__(self, page, problems: "Problems"):
        self.page = page
        self.problems = problems
        self.running = False
        self.started = 0.0
        self.held: list = []  # routes of navigations waiting for the check to end
        page.route("**/*", self._leaving)

    def _leaving(self, route) -> None:
        """Every request of the page passes here: a navigation of the main frame waits while
        a check runs; everything else goes on at once."""
        request = route.request
        if self.running and request.is_navigation_request() \
                and request.frame == self.page.main_frame:
            self.held.append(route)  # let go once axe has reported
        else:
            self._let_go(route)

    @staticmethod
    def _let_go(route) -> None:
        # the page may have closed meanwhile: nothing to let go then
        with contextlib.suppress(PlaywrightError):
            route.fallback()

    def report(self, data: dict) -> None:
        """What the page's runner says: "start", then "done" with the violations."""
        if data["state"] == "start":
            self.running, self.started = True, time.perf_counter()
            return
        self.running = False
        AXE_COST.pages += 1
        AXE_COST.seconds += time.perf_counter() - self.started
        AXE_COST.urls[data["url"]] = AXE_COST.urls.get(data["url"], 0) + 1
        where = f"{data['url']} [lang {data['lang']!r}, {data['width']}px wide]"
        if data.get("error"):
            self.problems.axe.append(f"{where}: axe failed: {data['error']}")
        for violation in data["violations"]:
            self.problems.axe.append(
                f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
                f" -> {' | '.join(violation['targets'])}")
        held, self.held = self.held, []
        for route in held:
            self._let_go(route)

    def finish(self, timeout_ms: int = TIMEOUT_MS) -> None:
        """Wait for the check of the document shown now, if one is running."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.running and not self.page.is_closed():
            if time.monotonic() > deadline:
                self.problems.lines.append(f"axe did not finish on {self.page.url}")
                return
            self.page.wait_for_timeout(20)


class Browsing:
    """Opens pages in fresh contexts and remembers what went wrong in them."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.problems = Problems()
        self.contexts = []
        self.watches: dict = {}  # page -> AxeWatch

    def new_page(self, *, phone: bool = False, locale: str = "en-GB"):
        """A page in a new context: desktop 1280x900, or a phone 390x844 with touch."""
        options = dict(PHONE if phone else DESKTOP)
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        if AXE_ON:
            context.expose_binding(AXE_BINDING, self._axe_report)
            context.add_init_script(axe_init_script())
        context.on("page", self.watch)  # pages the app opens in a new tab too
        page = context.new_page()
        self.watch(page)  # before the test's first navigation
        return page

    def watch(self, page) -> None:
        """Record the problems of ``page``; each of its documents is checked with axe."""
        if page not in self.watches:
            self.problems.watch(page)
            self.watches[page] = AxeWatch(page, self.problems) if AXE_ON else None

    def _axe_report(self, source: dict, data: dict) -> None:
        watch = self.watches.get(source["page"])
        if watch is not None:
            watch.report(data)

    def finish_accessibility_checks(self) -> None:
        """Wait for the axe checks still running on open pages."""
        for watch in self.watches.values():
            if watch is not None:
                watch.finish()

    def allow_status(self, status: int) -> None:
        """Let pages answer ``status`` in this test (a refused form answers 422)."""
        self.problems.allowed_statuses.add(status)

    def assert_clean(self) -> None:
        """No console error, script error or failed request so far."""
        problems = self.problems.report()
        assert not problems, "problems in the browser:\n" + "\n".join(problems)

    def close(self) -> None:
        """Let axe finish on the documents still shown, then close every context."""
        self.finish_accessibility_checks()
        self.watches.clear()
        for context in self.contexts:
            context.close()
        self.contexts.clear()


def release_db() -> None:
    """End the test's own database transaction so the server can write."""
    db.session.commit()
    db.session.remove()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as docs/screenshots/<name>.png (overwritten each run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def has_no_horizontal_scroll(page) -> bool:
    """True when the page fits the viewport's width."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth")


def image_loaded(page, selector: str) -> bool:
    """Wait for the first image matching ``selector`` to load; True when it has pixels."""
    image = page.locator(selector).first
    image.scroll_into_view_if_needed()
    handle = image.element_handle()
    wait_until(page, "img => img.complete", handle)
    return page.evaluate("img => img.naturalWidth > 0", handle)


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the staff login form and wait for the organizer's event list."""
    page.goto("/manage/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form[action$='/manage/login'] [type=submit]").click()
    page.wait_for_url("**/manage/")


def wait_until(page, function: str, arg=None, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until the JavaScript ``function`` (called with ``arg``) returns something true.

    Not ``page.wait_for_function``: while polling, Playwright evaluates the predicate's text
    with ``eval`` inside the page, which our Content Security Policy (no 'unsafe-eval')
    refuses whenever the first check is false. Each ``page.evaluate`` here is a plain call
    through the DevTools protocol, which the page's CSP does not govern.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(function, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_ms} ms: {function}")
        page.wait_for_timeout(100)


def go_offline(page):
    """Cut the network once the desk has settled: its own pages cached for an offline reload
    and no request (the photos after the list) still on the way; a request cut half-way
    would be a failed load the browser reports, not something the desk did wrong."""
    expect(page.locator("#checkin-desk")).to_have_attribute("data-offline-ready", "true")
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
