"""The waiting list under simultaneous requests, through the real server (SQLite by default,
PostgreSQL with TEST_DATABASE_URL), as tests/test_concurrency.py does:

(a) raising the capacity by k while a registration rush arrives and two organizers press
    "Move the waiting list now" promotes exactly the first k eligible: the country quota is
    respected, a delegation moves whole or not at all, and smaller entries behind a
    delegation that does not fit pass it;
(b) substitutions (direct, and delegates' requests approved by staff) during a registration
    rush, while promotions to be confirmed expire or are given up: a waiting delegate never
    takes a substituted seat and the capacity is never exceeded.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Event, Registration, RegistrationStatus, utcnow
from seminar_app.services.events import events as event_service
from seminar_app.services.events.event_values import EVENT_FIELDS
from seminar_app.services.registration import delegations, promotions, substitution
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.conftest import PASSWORD
from tests.factories import form_fields, make_registration, registration_event, service_data
from tests.test_concurrency import (  # noqa: F401
    Browser,
    _no_rate_limits,
    live_server,
    release_database,
    stored,
)

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def logged_in_browser(base: str, email: str) -> Browser:
    release_database()  # on SQLite the server needs the write lock
    browser = Browser(base)
    token = browser.csrf_token("/manage/login")
    status, _body, _headers = browser.request(
        "/manage/login", {"email": email, "password": PASSWORD, "csrf_token": token})
    assert status in (302, 303)
    return browser


def run_at_once(jobs) -> list:
    """Run every job (a callable taking the barrier) in its own thread, released together;
    their results in order."""
    release_database()  # on SQLite the server needs the write lock
    barrier = threading.Barrier(len(jobs), timeout=60)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(lambda job: job(barrier), jobs))


def post_job(browser: Browser, path: str, payload: dict | None = None, *,
             csrf_path: str | None = None):
    def job(barrier):
        csrf = browser.csrf_token(csrf_path or path)
        barrier.wait()
        return browser.request(path, {**(payload or {}), "csrf_token": csrf})[0]
    return job


def confirmed_countries(event) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Registration.country).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED)))


# --- (a) raising the capacity by k -----------------------------------------------------------

def _waiting_line(event):
    """The waiting list of a full event (capacity 4, quota 2 per country; TH at its quota, MY
    with one place left), in order; returns {label: [registrations]}."""
    def single(country):
        return [make_registration(event, country=country)[0]]

    line = {"A-TH": single("TH"), "B-MY": single("MY")}
    head = service_data(country="PH", email="head-ph@example.org", delegation_role="head")
    members = [{"honorific": "mr", "given_name": name, "family_name": "Delegasi",
                "email": f"{name.lower()}@example.org", "delegation_role": "delegate",
                "country": country, "position": ""}
               for name, country in (("Anggota", "PH"), ("Utusan", "KH"))]
    found, _tokens = delegations.register_delegation(event, head, members)
    line["C-delegation"] = list(found.members)
    for label, country in (("D-LA", "LA"), ("E-MY", "MY"), ("F-SG", "SG"), ("G-BN", "BN")):
        line[label] = single(country)
    for entry in line.values():
        assert {r.status for r in entry} == {WAITLISTED}
    return line


#: who moves up for k more places: B fits (MY has room), A and E are at their quota; with 3
#: places the delegation of 3 does not fit after B and the singles behind it pass it; with 4 it
#: fits whole and fills the event
EXPECTED = {3: {"B-MY", "D-LA", "F-SG"}, 4: {"B-MY", "C-delegation"}}


@pytest.mark.parametrize("k", [3, 4])
def test_raising_the_capacity_by_k_promotes_exactly_the_first_k_eligible(
        app, live_server, owner, k):  # noqa: F811
    event = registration_event(owner, capacity=4, country_quota=2)
    for country in ("TH", "TH", "MY", "VN"):
        make_registration(event, country=country)
    line = _waiting_line(event)
    event_id, owner_email, register = event.id, owner.email, f"/events/{event.slug}/register"
    data = {key: getattr(event, key) for key in EVENT_FIELDS}
    data["capacity"] = 4 + k

    def raise_capacity(barrier):
        with app.app_context():
            found = db.session.get(Event, event_id)
            db.session.rollback()  # hold no lock while waiting
            barrier.wait()
            event_service.update_event(found, data=data)
            db.session.remove()
        return "raised"

    movers = [logged_in_browser(live_server, owner_email) for _ in range(2)]
    countries = ["MY", "LA", "SG", "BN", "PH", "KH", "TH", "VN"]
    jobs = [raise_capacity]
    jobs += [post_job(browser, f"/manage/events/{event_id}/waitlist/move",
                      csrf_path=f"/manage/events/{event_id}/registrations")
             for browser in movers]
    jobs += [post_job(Browser(live_server), register,
                      form_fields(email=f"rush{n}@example.org", country=countries[n % 8],
                                  phone=""), csrf_path=register) for n in range(16)]
    results = run_at_once(jobs)
    assert results[0] == "raised"
    assert results[1:3] == [302, 302] and results[3:] == [303] * 16, results
    rows = stored(event)
    promoted = {label for label, entry in line.items()
                if {rows[r.email][0] for r in entry} == {CONFIRMED}}
    assert promoted == EXPECTED[k]
    for entry in line.values():  # a delegation is never split
        assert len({rows[r.email][0] for r in entry}) == 1
    assert all(rows[f"rush{n}@example.org"][0] == WAITLISTED for n in range(16))
    countries_confirmed = confirmed_countries(event)
    assert len(countries_confirmed) == 4 + k
    assert max(countries_confirmed.count(c) for c in set(countries_confirmed)) <= 2


# --- (b) substitutions during a rush ---------------------------------------------------------

def test_substitutions_during_a_rush_with_promotions_to_confirm(
        app, live_server, owner):  # noqa: F811
    """Capacity 6, promoted delegates confirm within 3 days. Seats 0-1 are replaced by staff,
    seats 2-3 by delegates' requests approved at the same moment; seat 4 was won from the
    waiting list and its deadline has passed (the expiry task runs), seat 5 was won too and
    its delegate gives it up; 16 new registrations arrive. Exactly the two freed places go to
    the first two waiting delegates, each with a deadline; the substituted seats stay with
    their new people; never more than 6 confirmed."""
    event = registration_event(owner, capacity=4, promotion_confirm_days=3)
    seats = [make_registration(event, email=f"c{i}@example.org")[0] for i in range(4)]
    won = [make_registration(event, email=f"p{i}@example.org")[0] for i in range(2)]
    for i in range(4):
        make_registration(event, email=f"w{i}@example.org")
    event_service.update_event(event, data={**{key: getattr(event, key)
                                                for key in EVENT_FIELDS}, "capacity": 6})
    for registration in won:  # the two extra places went to p0 and p1, to be confirmed
        db.session.refresh(registration)
        assert registration.status == CONFIRMED and registration.promotion_expires_at
    won[0].promotion_expires_at = utcnow() - timedelta(minutes=1)
    decline_token = new_manage_token(won[1])
    requests = []
    for number, registration in enumerate(seats[2:4]):
        requests.append(substitution.request_substitution(registration, service_data(
            email=f"asked{number}@example.org", given_name="Dewi", family_name="Lestari")))
    db.session.commit()
    request_ids = [request.id for request in requests]
    base, owner_email = f"/manage/events/{event.id}/registrations", owner.email
    event_slug = event.slug
    seat_ids = [seat.id for seat in seats]
    staff = [logged_in_browser(live_server, owner_email) for _ in range(4)]
    jobs = []
    for number, (browser, seat) in enumerate(zip(staff[:2], seat_ids[:2], strict=True)):
        jobs.append(post_job(browser, f"{base}/{seat}/substitute", form_fields(
            email=f"sub{number}@example.org", phone="", given_name="Siti",
            family_name="Rahayu", delegation_role="delegate")))
    for browser, seat, request_id in zip(staff[2:], seat_ids[2:], request_ids, strict=True):
        jobs.append(post_job(browser, f"{base}/{seat}/substitution/approve",
                             {"request_id": request_id}, csrf_path=f"{base}/{seat}"))

    def expire(barrier):
        with app.app_context():
            barrier.wait()
            try:
                return promotions.expire_promotions()
            finally:
                db.session.remove()

    jobs.append(expire)
    jobs.append(post_job(Browser(live_server), f"/r/{decline_token}/promotion/decline",
                         csrf_path=f"/r/{decline_token}"))
    register = f"/events/{event_slug}/register"
    jobs += [post_job(Browser(live_server), register,
                      form_fields(email=f"rush{n}@example.org"), csrf_path=register)
             for n in range(16)]
    results = run_at_once(jobs)
    assert results[:4] == [302] * 4 and results[4] == 1 and results[5] == 200, results
    assert results[6:] == [303] * 16, results
    rows = stored(event)
    assert [status for status, _country in rows.values()].count(CONFIRMED) == 6
    for email in ("sub0", "sub1", "asked0", "asked1"):
        assert rows[f"{email}@example.org"][0] == CONFIRMED
    assert [rows[f"p{i}@example.org"][0] for i in range(2)] == [CANCELLED] * 2
    assert [rows[f"w{i}@example.org"][0] for i in range(4)] == \
        [CONFIRMED] * 2 + [WAITLISTED] * 2
    assert all(rows[f"rush{n}@example.org"][0] == WAITLISTED for n in range(16))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED,
        Registration.promotion_expires_at.is_not(None))) == 2  # w0 and w1, to be confirmed
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.promote", AuditEntry.event_id == event.id)) == 4

