"""Every path where room appears moves the waiting list through the one promotion routine
(services.registration.waitlist.promote_waitlisted, under the event lock); a substitution keeps
the seat and promotes nobody."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, OutboxEmail, Registration, RegistrationStatus, utcnow
from seminar_app.services.events import events as event_service
from seminar_app.services.privacy import retention
from seminar_app.services.registration import delegations, promotions, substitution
from seminar_app.services.registration import registrations as service
from seminar_app.services.registration.participant_list import cancel_registrations
from tests.factories import make_registration, registration_event, service_data
from tests.test_services_events import event_data

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
CANCELLED, REJECTED = RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED
_numbers = iter(range(1, 100_000))


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def status_of(registration):
    db.session.refresh(registration)
    return registration.status


def promotions_recorded(event) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.promote", AuditEntry.event_id == event.id))


def full_event(owner, *, capacity=2, waiting=2, **overrides):
    """A full event and its waiting list: (event, [confirmed], [waiting])."""
    event = registration_event(owner, capacity=capacity, **overrides)
    confirmed = [make_registration(event)[0] for _ in range(capacity)]
    waiting_list = [make_registration(event)[0] for _ in range(waiting)]
    assert all(r.status == WAITLISTED for r in waiting_list)
    return event, confirmed, waiting_list


def delegation_of(event, size, *, country="TH"):
    """A delegation of ``size`` (head + members) through the service; its registrations, head
    first."""
    number = next(_numbers)
    head = service_data(country=country, email=f"head{number}@example.org",
                        delegation_role="head")
    members = [{"honorific": "mr", "given_name": f"Anggota{chr(65 + i)}", "family_name": "Delegasi",
                "email": f"d{number}m{i}@example.org", "delegation_role": "delegate",
                "position": ""} for i in range(size - 1)]
    found, _tokens = delegations.register_delegation(event, head, members)
    return sorted(found.members, key=lambda r: (r.id != found.head_registration_id, r.id))


# --- a place is freed: the first in line moves up --------------------------------------------

def _cancel_by_delegate(event, confirmed, owner):
    service.cancel_registration(confirmed[0])


def _cancel_by_staff(event, confirmed, owner):
    service.cancel_registration(confirmed[0], actor=owner, reason="Duplicate")


def _cancel_in_bulk(event, confirmed, owner):
    cancel_registrations(event, [confirmed[0].id], actor=owner)


def _erase(event, confirmed, owner):
    retention.erase_registration(confirmed[0], actor=owner)


def _raise_capacity(event, confirmed, owner):
    event_service.update_event(event, data=event_data(capacity=3, slug=event.slug))


def _expired_promotion(event, confirmed, owner):
    confirmed[0].promotion_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert promotions.expire_promotions() == 1


@pytest.mark.parametrize("action", [_cancel_by_delegate, _cancel_by_staff, _cancel_in_bulk,
                                    _erase, _raise_capacity, _expired_promotion])
def test_a_freed_place_goes_to_the_first_in_line(owner, action):
    event, confirmed, (first, second) = full_event(owner)
    action(event, confirmed, owner)
    assert [status_of(first), status_of(second)] == [CONFIRMED, WAITLISTED]
    assert promotions_recorded(event) == 1
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(
        OutboxEmail.template == "registration_promoted_to_delegate",
        OutboxEmail.recipient == first.email)) == 1


def test_a_head_removing_a_member_frees_the_place(owner):
    event = registration_event(owner, capacity=3)
    head, member, _other = delegation_of(event, 3)
    assert head.status == CONFIRMED
    waiting, _ = make_registration(event)
    assert waiting.status == WAITLISTED
    promoted = delegations.remove_member(head, member.id)
    assert [r.id for r in promoted] == [waiting.id]
    assert status_of(waiting) == CONFIRMED and status_of(member) == CANCELLED


def test_a_higher_quota_promotes_the_waiting_delegates_of_that_country(owner):
    event = registration_event(owner, capacity=10, country_quota=1)
    make_registration(event, country="MY")
    waiting, _ = make_registration(event, country="MY")
    assert waiting.status == WAITLISTED
    event_service.update_event(event, data=event_data(capacity=10, country_quota=2,
                                                      slug=event.slug))
    assert status_of(waiting) == CONFIRMED


def test_a_confirmed_delegate_moving_country_frees_a_quota_place(owner):
    event = registration_event(owner, country_quota=1)
    moving, _ = make_registration(event, country="MY")
    waiting, _ = make_registration(event, country="MY")
    data = {key: getattr(moving, key) for key in service.REGISTRATION_FIELDS}
    service.update_registration(moving, data={**data, "country": "TH"}, actor=owner)
    assert status_of(waiting) == CONFIRMED


def test_a_waiting_delegate_moving_to_a_country_with_room_moves_up(owner):
    event = registration_event(owner, capacity=5, country_quota=1)
    make_registration(event, country="MY")
    waiting, _ = make_registration(event, country="MY")
    assert waiting.status == WAITLISTED
    data = {key: getattr(waiting, key) for key in service.REGISTRATION_FIELDS}
    service.update_registration(waiting, data={**data, "country": "TH"})
    assert status_of(waiting) == CONFIRMED


# --- a waiting delegation that did not fit fits once one of its members leaves -------------

@pytest.mark.parametrize("leave", ["cancel", "reject", "reject_in_bulk", "erase"])
def test_a_delegation_fits_when_one_of_its_waiting_members_leaves(owner, leave):
    event = registration_event(owner, capacity=3)
    make_registration(event)
    group = delegation_of(event, 3)  # 3 for 2 free places: waits whole
    assert {r.status for r in group} == {WAITLISTED}
    leaving = group[2]
    if leave == "cancel":
        service.cancel_registration(leaving)
    elif leave == "reject":
        service.reject_registration(leaving, actor=owner, reason="Not accredited")
    elif leave == "reject_in_bulk":
        service.reject_registrations(event, [leaving.id], actor=owner)
    else:
        retention.erase_registration(leaving, actor=owner)
    assert [status_of(r) for r in group[:2]] == [CONFIRMED, CONFIRMED]
    assert status_of(leaving) in (CANCELLED, REJECTED)


# --- nothing moves when no room appears ------------------------------------------------------

def test_a_substitution_keeps_the_seat_and_promotes_nobody(owner):
    event, confirmed, waiting_list = full_event(owner)
    new_person = service_data(given_name="Siti", family_name="Rahayu",
                              email="siti@example.org", language="id")
    substitution.substitute(confirmed[0], new_person, actor=owner,
                            source=substitution.SubstitutionSource.STAFF)
    assert status_of(confirmed[0]) == CONFIRMED
    assert [status_of(r) for r in waiting_list] == [WAITLISTED, WAITLISTED]
    assert promotions_recorded(event) == 0


def test_cancelling_a_pending_registration_promotes_nobody(owner):
    event, _confirmed, waiting_list = full_event(owner, requires_approval=False)
    event.requires_approval = True
    db.session.commit()
    pending, _ = make_registration(event)
    assert pending.status == RegistrationStatus.PENDING
    service.cancel_registration(pending)
    assert [status_of(r) for r in waiting_list] == [WAITLISTED, WAITLISTED]


def test_the_quota_is_respected_when_a_place_frees(owner):
    event = registration_event(owner, capacity=2, country_quota=1)
    leaving, _ = make_registration(event, country="TH")
    make_registration(event, country="MY")
    blocked, _ = make_registration(event, country="MY")
    fits, _ = make_registration(event, country="VN")
    service.cancel_registration(leaving)
    assert status_of(blocked) == WAITLISTED and status_of(fits) == CONFIRMED
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == CONFIRMED)) == 2
