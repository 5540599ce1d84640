"""The waiting list moves whenever room appears, through one status rule and one promotion
routine (services.registration.waitlist): a higher capacity, a higher quota, a confirmed delegate
moving to
another country; and the status of single registrations, delegations and approvals comes
from the same ``decide_status``."""

import pytest

from seminar_app.extensions import db
from seminar_app.models import OutboxEmail, RegistrationSource, RegistrationStatus
from seminar_app.services.events import events as event_service
from seminar_app.services.registration import registrations as service
from seminar_app.services.registration.waitlist import decide_status, needs_approval
from tests.factories import make_registration, registration_event
from tests.test_services_events import event_data

CONFIRMED, WAITLISTED, PENDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED,
                                  RegistrationStatus.PENDING)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def _status(registration):
    db.session.refresh(registration)
    return registration.status


def test_higher_capacity_promotes_the_waiting_list_in_order(owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    first, _ = make_registration(event)
    second, _ = make_registration(event)
    third, _ = make_registration(event)
    assert {_status(r) for r in (first, second, third)} == {WAITLISTED}
    event_service.update_event(event, data=event_data(capacity=3, slug=event.slug))
    assert [_status(r) for r in (first, second, third)] == [CONFIRMED, CONFIRMED, WAITLISTED]
    promoted = db.session.query(OutboxEmail).filter(
        OutboxEmail.template == "registration_promoted_to_delegate").count()
    assert promoted == 2


def test_lower_capacity_promotes_nobody(owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    waiting, _ = make_registration(event)
    event_service.update_event(event, data=event_data(capacity=1, slug=event.slug,
                                                      title="Another title"))
    assert _status(waiting) == WAITLISTED


def test_confirmed_delegate_moving_country_frees_a_quota_place(owner):
    event = registration_event(owner, country_quota=1)
    moving, _ = make_registration(event, country="MY")
    waiting, _ = make_registration(event, country="MY")
    assert _status(waiting) == WAITLISTED
    data = {key: getattr(moving, key) for key in service.REGISTRATION_FIELDS}
    service.update_registration(moving, data={**data, "country": "TH"}, actor=owner)
    assert _status(waiting) == CONFIRMED


@pytest.mark.parametrize(("moderated", "source", "forwarded", "expected"), [
    (False, RegistrationSource.ONLINE, False, False),
    (True, RegistrationSource.ONLINE, False, True),
    (True, RegistrationSource.STAFF, False, False),
    (True, RegistrationSource.INVITATION, False, False),
    (False, RegistrationSource.INVITATION, True, True),
])
def test_needs_approval(owner, moderated, source, forwarded, expected):
    event = registration_event(owner, requires_approval=moderated)
    assert needs_approval(event, source, forwarded=forwarded) is expected


def test_decide_status_counts_every_delegate_and_quota(owner):
    event = registration_event(owner, capacity=3, country_quota=2)
    make_registration(event, country="MY")
    assert decide_status(event, ["TH", "TH"]) == CONFIRMED
    assert decide_status(event, ["TH", "TH", "TH"]) == WAITLISTED  # the quota
    assert decide_status(event, ["MY", "TH", "VN"]) == WAITLISTED  # the capacity
    assert decide_status(event, ["MY"], approval=True) == PENDING
