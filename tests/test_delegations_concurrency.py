"""20 heads submit a delegation of 5 at once for 12 places, through the real server: never
more than 12 confirmed, no delegation split (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from collections import defaultdict

from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import Registration, RegistrationStatus
from tests.factories import form_fields, registration_event
from tests.test_concurrency import _no_rate_limits, live_server, rush  # noqa: F401

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


def delegation_payload(number: int) -> dict:
    payload = form_fields(email=f"head{number}@example.org", phone="", country="TH")
    for row in range(4):
        payload.update({f"members-{row}-honorific": "mr",
                        f"members-{row}-given_name": f"Anggota{chr(65 + row)}",
                        f"members-{row}-family_name": "Delegasi " + chr(65 + number),
                        f"members-{row}-email": f"d{number}m{row}@example.org",
                        f"members-{row}-delegation_role": "delegate"})
    return payload


def test_twenty_delegations_of_five_for_twelve_places(live_server, make_user):  # noqa: F811
    event = registration_event(make_user("organizer"), capacity=12)
    path = f"/events/{event.slug}/register/delegation"
    codes = rush(live_server, path, [delegation_payload(n) for n in range(20)])
    assert codes.count(303) == 20, sorted(set(codes))
    db.session.rollback()
    groups = defaultdict(list)
    for delegation_id, status in db.session.execute(
            select(Registration.delegation_id, Registration.status)
            .where(Registration.event_id == event.id)):
        groups[delegation_id].append(status)
    assert len(groups) == 20 and all(len(statuses) == 5 for statuses in groups.values())
    assert all(len(set(statuses)) == 1 for statuses in groups.values())  # never split
    confirmed = sum(statuses.count(CONFIRMED) for statuses in groups.values())
    assert confirmed <= 12
    assert confirmed == 10  # two delegations fit; a third would make 15
    assert sum(statuses.count(WAITLISTED) for statuses in groups.values()) == 90
