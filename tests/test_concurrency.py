"""No overbooking under a rush: simultaneous submissions against the real server.

The app runs under waitress in a background thread (on the session's database: SQLite file
by default, PostgreSQL with TEST_DATABASE_URL). Each simulated browser has its own cookie jar:
it loads the form for its CSRF token, waits at a barrier with the others, then posts. The
tests check that confirmed registrations never exceed the capacity or a country's quota, that
every submission answered with success is stored, and that nothing answered 5xx.
"""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from waitress import create_server

from seminar_app.extensions import db, limiter
from seminar_app.models import Registration, RegistrationStatus
from tests.factories import form_fields, make_registration, registration_event

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'<meta name="csrf-token" content="([^"]+)"')
CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
WORKERS = 32


@pytest.fixture(scope="module")
def live_server(app):
    """The app served by waitress on a free loopback port; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=12, connection_limit=200)
    thread = threading.Thread(target=server.run, name="concurrency-waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.trigger.pull_trigger(lambda: server.asyncore.close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


@pytest.fixture(autouse=True)
def _no_rate_limits(monkeypatch):
    """Every simulated browser comes from 127.0.0.1: limits per address would refuse them."""
    monkeypatch.setattr(limiter, "enabled", False)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor: its own cookies, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def csrf_token(self, path: str) -> str:
        status, html, _headers = self.request(path)
        assert status == 200, (path, status)
        match = CSRF_INPUT.search(html)
        return match.group(1) or match.group(2)


def release_database():
    """End the test's own transaction: on SQLite it would hold the write lock the server needs."""
    db.session.rollback()


def rush(base: str, path: str, payloads: list[dict]) -> list[int]:
    """Post every payload from its own browser, all at once; the answers' status codes."""
    release_database()
    barrier = threading.Barrier(len(payloads), timeout=60)

    def one(payload):
        browser = Browser(base)
        token = browser.csrf_token(path)
        barrier.wait()
        return browser.request(path, {**payload, "csrf_token": token})[0]

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(one, payloads))


def rush_in_waves(base: str, path: str, payloads: list[dict]) -> list[int]:
    """``rush`` in waves of WORKERS simultaneous browsers."""
    codes = []
    for start in range(0, len(payloads), WORKERS):
        codes += rush(base, path, payloads[start:start + WORKERS])
    return codes


def stored(event, **where):
    """Statuses of the event's registrations by email (a fresh read)."""
    db.session.rollback()
    query = select(Registration.email, Registration.status, Registration.country).where(
        Registration.event_id == event.id)
    return {email: (status, country) for email, status, country in db.session.execute(query)}


def test_rush_of_200_for_10_places_never_overbooks(live_server, make_user):
    event = registration_event(make_user("organizer"), capacity=10)
    path = f"/events/{event.slug}/register"
    payloads = [form_fields(email=f"rush{i}@example.org") for i in range(200)]
    codes = rush_in_waves(live_server, path, payloads)
    assert not [code for code in codes if code >= 500]
    assert codes.count(303) == 200, sorted(set(codes))
    rows = stored(event)
    answered = {p["email"] for p, code in zip(payloads, codes, strict=True) if code < 400}
    assert answered <= set(rows)  # nothing answered with success was lost
    statuses = [status for status, _country in rows.values()]
    assert statuses.count(CONFIRMED) == 10 and statuses.count(WAITLISTED) == 190


def test_rush_respects_the_country_quota(live_server, make_user):
    event = registration_event(make_user("organizer"), capacity=10, country_quota=3)
    path = f"/events/{event.slug}/register"
    others = ["TH", "VN", "PH", "SG"]
    payloads = [form_fields(email=f"my{i}@example.org", country="MY", phone="")
                for i in range(50)]
    payloads += [form_fields(email=f"o{i}@example.org", country=others[i % 4], phone="")
                 for i in range(14)]
    codes = rush_in_waves(live_server, path, payloads)
    assert codes.count(303) == len(payloads), sorted(set(codes))
    rows = stored(event).values()
    confirmed = [country for status, country in rows if status == CONFIRMED]
    assert confirmed.count("MY") == 3
    assert len(confirmed) == 10  # 3 MY + 3 TH + 2 VN... capped by the capacity
    assert all(confirmed.count(country) <= 3 for country in set(confirmed))


def _full_event_with_waitlist(make_user, waiting=5):
    event = registration_event(make_user("organizer"), capacity=10)
    confirmed = [make_registration(event, email=f"c{i}@example.org") for i in range(10)]
    waitlisted = [make_registration(event, email=f"w{i}@example.org")[0] for i in range(waiting)]
    assert all(r.status == WAITLISTED for r in waitlisted)
    return event, confirmed, waitlisted


def test_simultaneous_cancellations_of_one_registration_promote_exactly_one(
        live_server, make_user):
    event, confirmed, waitlisted = _full_event_with_waitlist(make_user)
    _registration, token = confirmed[0]
    codes = rush(live_server, f"/r/{token}/cancel", [{}] * 12)
    # one cancels (200: the confirmation page); the others find it cancelled, or its link gone
    assert codes.count(200) == 1 and set(codes) <= {200, 409, 410}, codes
    rows = stored(event)
    assert rows["c0@example.org"][0] == RegistrationStatus.CANCELLED
    assert rows["w0@example.org"][0] == CONFIRMED
    assert [rows[f"w{i}@example.org"][0] for i in range(1, 5)] == [WAITLISTED] * 4
    assert [s for s, _c in rows.values()].count(CONFIRMED) == 10


def test_simultaneous_cancellations_promote_in_order(live_server, make_user):
    event, confirmed, _waitlisted = _full_event_with_waitlist(make_user, waiting=8)
    barrier = threading.Barrier(6, timeout=60)
    tokens = [token for _reg, token in confirmed[:6]]
    release_database()

    def cancel(token):
        browser = Browser(live_server)
        csrf = browser.csrf_token(f"/r/{token}/cancel")
        barrier.wait()
        return browser.request(f"/r/{token}/cancel", {"csrf_token": csrf})[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(cancel, tokens))
    assert codes == [200] * 6
    rows = stored(event)
    assert [rows[f"w{i}@example.org"][0] for i in range(8)] == [CONFIRMED] * 6 + [WAITLISTED] * 2
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED)) == 10


def test_simultaneous_registrations_of_a_cancelled_address_reactivate_it_once(
        live_server, make_user):
    from seminar_app.models import AuditEntry
    from seminar_app.services.registration import registrations as service

    event = registration_event(make_user("organizer"), capacity=10)
    registration, _token = make_registration(event, email="back@example.org")
    service.cancel_registration(registration)
    codes = rush(live_server, f"/events/{event.slug}/register",
                 [form_fields(email="back@example.org")] * 12)
    assert not [code for code in codes if code >= 500]
    # one reactivation; the others get the neutral "we emailed your link" page
    assert codes.count(303) == 1 and set(codes) <= {200, 303}, codes
    assert stored(event)["back@example.org"][0] == CONFIRMED
    reactivations = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "registration.create",
        AuditEntry.object_id == registration.id)).all()
    assert [entry.details["reactivated"] for entry in reactivations].count(True) == 1
