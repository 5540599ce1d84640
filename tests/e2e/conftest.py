"""Browser tests: the app served by waitress on loopback, driven by Debian's chromium.

The server runs the session ``app`` fixture of tests/conftest.py in a background thread, so
the browser and the test share one database; the autouse ``_clean_state`` fixture empties it
after every test (and resets the rate limiter, so the many logins from 127.0.0.1 pass).
Each test opens fresh browser contexts through ``browsing.new_page()``, which records console
errors (CSP violations among them), uncaught script errors and failed requests; teardown
fails the test if there were any. Helpers live in tests/e2e/pages.py.
"""

import os
import threading
import time

import pytest
from playwright.sync_api import sync_playwright
from waitress import create_server

from tests.e2e.pages import AXE_COST, Browsing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by waitress on a free loopback port; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="e2e-waitress", daemon=True)
    thread.start()
    _SERVERS.append(server)
    yield f"http://127.0.0.1:{server.effective_port}"
    # Close every channel from inside the server's own loop, which then returns.
    server.trigger.pull_trigger(lambda: server.asyncore.close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, for the whole run."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium: "
                    "apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browsing(browser, live_server):
    """``browsing.new_page(phone=..., locale=...)``; fails if any page had problems."""
    session = Browsing(browser, live_server)
    yield session
    session.close()
    _wait_until_idle()
    session.assert_clean()


#: the live server(s) of this run, so that a test's end can wait for their last requests
_SERVERS: list = []


def _wait_until_idle(timeout: float = 5.0) -> None:
    """Wait until the live server has answered every request (a page's background fetches
    may still run when its browser context closes); the tables are emptied after that."""
    deadline = time.monotonic() + timeout
    for server in _SERVERS:
        dispatcher = server.task_dispatcher
        while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
            time.sleep(0.02)


def pytest_terminal_summary(terminalreporter):
    """How many documents axe checked (each once, at its load event) and for how long it ran
    in the pages (partly while the test went on; E2E_AXE=0 measures the wall-clock cost)."""
    if AXE_COST.pages:
        terminalreporter.write_line(
            f"axe-core checked {AXE_COST.pages} pages ({len(AXE_COST.urls)} distinct URLs), "
            f"{1000 * AXE_COST.seconds / AXE_COST.pages:.0f} ms a page in the page")
