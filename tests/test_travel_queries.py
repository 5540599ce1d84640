"""The arrivals and departures boards, the rooming list (page and XLSX) and the dashboard run
the same number of SQL statements for a small and a larger event (issue 17: 2,000 delegates
must not cost more queries than 10; bench/travel_latency.py measures the time)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from seminar_app.extensions import db
from seminar_app.models import (
    Delegation,
    DelegationRole,
    Honorific,
    Registration,
    RegistrationStatus,
    TravelPlan,
    utcnow,
)
from tests.conftest import post_form
from tests.factories import logged_in
from tests.travel_helpers import day, travel_event


def seed(event, hotel, count: int) -> None:
    """``count`` confirmed delegates in delegations of four (one head each), arriving over
    three days at every hour, half in the hotel (sharing in pairs), half on their own."""
    now = utcnow()
    people = []
    for number in range(count):
        people.append(Registration(
            event_id=event.id, reference=f"Q{event.id:03d}-{number:05d}",
            status=RegistrationStatus.CONFIRMED, honorific=Honorific.MS,
            given_name="Delegate", family_name=f"Family {number}",
            email=f"q{event.id}-{number}@example.org", country=("TH", "MY", "VN")[number % 3],
            organisation="MFA", delegation_role=DelegationRole.DELEGATE, consent_at=now,
            badge_code=f"Q{event.id:03d}B{number:08d}", confirmed_at=now))
    db.session.add_all(people)
    db.session.flush()
    for start in range(0, count, 4):
        delegation = Delegation(event_id=event.id, name=f"Delegation {start}", country="TH",
                                organisation="MFA", head_registration_id=people[start].id)
        db.session.add(delegation)
        db.session.flush()
        for person in people[start:start + 4]:
            person.delegation_id = delegation.id
    first = datetime.combine(day(event, -2), datetime.min.time(), tzinfo=UTC)
    for number, person in enumerate(people):
        in_hotel = number % 2 == 0
        db.session.add(TravelPlan(
            registration_id=person.id, event_id=event.id,
            arrival_at=first + timedelta(minutes=37 * number % (3 * 24 * 60)),
            arrival_mode="flight", arrival_number="GA 1", arrival_place="CGK",
            arrival_pickup=number % 3 == 0,
            departure_at=first + timedelta(days=5, minutes=number), departure_mode="flight",
            departure_place="CGK", lodging="hotel" if in_hotel else "own",
            hotel_id=hotel.id if in_hotel else None,
            check_in=day(event, -2) if in_hotel else None,
            check_out=day(event, 3) if in_hotel else None,
            share_with_id=people[number - 2].id if in_hotel and number % 4 == 2 else None))
    db.session.commit()


def count_statements(client, method: str, url: str) -> int:
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    send = (lambda: post_form(client, url)) if method == "POST" else (lambda: client.get(url))
    assert send().status_code == 200  # warm caches, as a running server would be
    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        response = send()
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len([s for s in statements if not s.lstrip().upper().startswith(
        ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))])


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "travel/arrivals"), ("GET", "travel/arrivals?day=all"),
    ("GET", "travel/departures"), ("GET", "travel/rooming"), ("GET", "travel/rooming?hotel=all"),
    ("POST", "travel/rooming.xlsx"), ("GET", "dashboard"),
])
def test_query_count_does_not_grow_with_delegates(app, make_user, method, path):
    owner = make_user("organizer")
    counts = []
    for size in (8, 120):
        event, hotel = travel_event(owner, "required")
        seed(event, hotel, size)
        browser = logged_in(app, owner)
        counts.append(count_statements(browser, method, f"/manage/events/{event.id}/{path}"))
    assert counts[0] == counts[1], counts
