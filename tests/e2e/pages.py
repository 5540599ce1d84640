"""Helpers of the browser tests: pages that record their problems, screenshots, checks."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from seminar_app.extensions import db
from tests.conftest import PASSWORD

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
        return problems


class Browsing:
    """Opens pages in fresh contexts and remembers what went wrong in them."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.problems = Problems()
        self.contexts = []

    def new_page(self, *, phone: bool = False, locale: str = "en-GB"):
        """A page in a new context: desktop 1280x900, or a phone 390x844 with touch."""
        options = dict(PHONE if phone else DESKTOP)
        context = self.browser.new_context(
            base_url=self.base_url, locale=locale, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self.problems.watch(page)
        return page

    def allow_status(self, status: int) -> None:
        """Let pages answer ``status`` in this test (a refused form answers 422)."""
        self.problems.allowed_statuses.add(status)

    def assert_clean(self) -> None:
        """No console error, script error or failed request so far."""
        problems = self.problems.report()
        assert not problems, "problems in the browser:\n" + "\n".join(problems)

    def close(self) -> None:
        """Close every context opened by the test."""
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
