"""services.registration.registrations: capacity, quotas, the waiting list, moderation, tokens,
references."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    OutboxEmail,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Visibility,
)
from seminar_app.services.errors import Conflict, NotFound, PermissionDenied, ServiceError
from seminar_app.services.registration import registrations as service
from tests.factories import make_registration, past, registration_event

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
PENDING = RegistrationStatus.PENDING


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def statuses(event):
    return service.status_counts(event)


def test_register_confirms_while_there_is_room(owner):
    event = registration_event(owner, capacity=2)
    first, token = make_registration(event)
    assert first.status == CONFIRMED and first.confirmed_at is not None
    assert service.get_registration_by_token(token).id == first.id
    make_registration(event)
    third, _ = make_registration(event)
    assert third.status == WAITLISTED and third.waitlisted_at is not None
    assert statuses(event)[CONFIRMED] == 2 and statuses(event)[WAITLISTED] == 1
    assert service.waitlist_position(third) == 1


def test_register_unlimited_capacity(owner):
    event = registration_event(owner, capacity=None)
    for _ in range(5):
        make_registration(event)
    assert statuses(event)[CONFIRMED] == 5


def test_register_country_quota_waitlists_that_country_only(owner):
    event = registration_event(owner, capacity=10, country_quota=2)
    results = [make_registration(event, country="MY")[0].status for _ in range(3)]
    assert results == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert make_registration(event, country="TH")[0].status == CONFIRMED
    assert service.country_counts(event) == [("MY", 2), ("TH", 1)]


def test_register_stores_email_lower_case_and_ignores_unknown_keys(owner):
    event = registration_event(owner)
    data = {"email": "Diplomat@Example.ORG", "status": "confirmed", "event_id": 999,
            "source": "staff", "manage_token_hash": "x"}
    registration, _ = make_registration(event, **data)
    assert registration.email == "diplomat@example.org"
    assert registration.event_id == event.id and registration.source == RegistrationSource.ONLINE
    assert "x" not in [link.token_hash for link in registration.links]


def test_register_token_is_stored_hashed(owner):
    registration, token = make_registration(registration_event(owner))
    [link] = registration.links
    assert len(token) >= 40 and token not in link.token_hash
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_register_reference_and_badge_code_format(owner):
    event = registration_event(owner, capacity=None)
    regs = [make_registration(event)[0] for _ in range(20)]
    for reg in regs:
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", reg.reference)
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{16}", reg.badge_code)
    assert len({r.reference for r in regs}) == 20 and len({r.badge_code for r in regs}) == 20


def test_register_duplicate_email_is_refused(owner):
    event = registration_event(owner)
    make_registration(event, email="same@example.org")
    with pytest.raises(service.AlreadyRegistered) as raised:
        make_registration(event, email="SAME@example.org")
    assert raised.value.field == "email"
    assert db.session.scalar(select(db.func.count(Registration.id))) == 1


def test_register_reactivates_a_cancelled_registration(owner):
    event = registration_event(owner, capacity=5)
    first, old_token = make_registration(event, email="again@example.org")
    service.cancel_registration(first)
    again, token = make_registration(event, email="again@example.org", given_name="Siti")
    assert again.id == first.id and again.status == CONFIRMED and again.given_name == "Siti"
    assert again.cancelled_at is None and token != old_token
    with pytest.raises(NotFound):
        service.get_registration_by_token(old_token)


def test_register_refused_when_closed_or_invitation_only(owner):
    closed = registration_event(owner, registration_closes_at=past())
    with pytest.raises(Conflict):
        make_registration(closed)
    invited = registration_event(owner, visibility=Visibility.INVITATION_ONLY)
    with pytest.raises(PermissionDenied):
        make_registration(invited)
    registration, _ = service.register(invited, data={
        **make_data(), "email": "guest@example.org"}, source=RegistrationSource.STAFF)
    assert registration.status == CONFIRMED


def make_data():
    from tests.factories import service_data
    return service_data()


def test_register_refuses_bad_data(owner):
    event = registration_event(owner)
    with pytest.raises(ServiceError) as raised:
        make_registration(event, country="XX")
    assert raised.value.field == "country"
    with pytest.raises(ServiceError) as raised:
        make_registration(event, given_name="<script>alert(1)</script>")
    assert raised.value.field == "given_name"
    with pytest.raises(ServiceError) as raised:
        make_registration(event, needs_visa_letter=True, passport_number="A1",
                          passport_expiry=event.end_at.date() - timedelta(days=1))
    assert raised.value.field == "passport_expiry"
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Registration.id))) == 0


def test_register_without_visa_clears_passport_fields(owner):
    event = registration_event(owner)
    registration, _ = make_registration(event, needs_visa_letter=False, passport_number="X1")
    assert registration.passport_number == "" and registration.passport_expiry is None


def test_cancel_promotes_the_first_waitlisted(owner):
    event = registration_event(owner, capacity=1)
    confirmed, _ = make_registration(event)
    first, _ = make_registration(event)
    second, _ = make_registration(event)
    promoted = service.cancel_registration(confirmed)
    assert [r.id for r in promoted] == [first.id]
    assert first.status == CONFIRMED and second.status == WAITLISTED
    assert service.waitlist_position(second) == 1


def test_cancel_promotion_skips_a_country_at_its_quota(owner):
    event = registration_event(owner, capacity=3, country_quota=2)
    my1, _ = make_registration(event, country="MY")
    make_registration(event, country="MY")
    make_registration(event, country="TH")
    waiting_my, _ = make_registration(event, country="MY")  # full anyway
    waiting_vn, _ = make_registration(event, country="VN")
    thai = db.session.scalar(select(Registration).where(Registration.country == "TH"))
    service.cancel_registration(thai)
    assert waiting_my.status == WAITLISTED and waiting_vn.status == CONFIRMED
    service.cancel_registration(my1)
    assert waiting_my.status == CONFIRMED


def test_cancel_a_waitlisted_registration_promotes_nobody(owner):
    event = registration_event(owner, capacity=1)
    make_registration(event)
    waiting, _ = make_registration(event)
    other, _ = make_registration(event)
    assert service.cancel_registration(waiting) == []
    assert other.status == WAITLISTED


def test_cancel_twice_is_a_conflict(owner):
    registration, _ = make_registration(registration_event(owner))
    service.cancel_registration(registration)
    with pytest.raises(Conflict):
        service.cancel_registration(registration)


def test_cancel_by_staff_keeps_the_reason(owner):
    registration, _ = make_registration(registration_event(owner))
    service.cancel_registration(registration, actor=owner, reason="Duplicate delegate")
    assert registration.decision_reason == "Duplicate delegate"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.cancel"))
    assert entry.user_id == owner.id and entry.details["by_staff"] is True


def test_moderation_pending_then_approved(owner):
    event = registration_event(owner, requires_approval=True, capacity=1)
    first, _ = make_registration(event)
    second, _ = make_registration(event)
    assert first.status == PENDING and second.status == PENDING
    service.approve_registration(first, actor=owner)
    assert first.status == CONFIRMED
    service.approve_registration(second, actor=owner)
    assert second.status == WAITLISTED  # full at approval time
    with pytest.raises(Conflict):
        service.approve_registration(first, actor=owner)


def test_moderation_reject_with_reason(owner):
    event = registration_event(owner, requires_approval=True)
    registration, _ = make_registration(event)
    service.reject_registration(registration, actor=owner, reason="Not a member state")
    assert registration.status == RegistrationStatus.REJECTED
    assert registration.decision_reason == "Not a member state"


def test_moderation_bulk_counts(owner):
    event = registration_event(owner, requires_approval=True, capacity=2)
    regs = [make_registration(event)[0] for _ in range(4)]
    counts = service.approve_registrations(event, [r.id for r in regs[:3]] + [99999],
                                           actor=owner)
    assert counts == {"confirmed": 2, "waitlisted": 1, "skipped": 0}
    counts = service.reject_registrations(event, [r.id for r in regs], actor=owner)
    assert counts == {"rejected": 2, "skipped": 2}


def test_staff_registration_skips_moderation(owner):
    event = registration_event(owner, requires_approval=True)
    registration, _ = service.register(event, data=make_data(), source=RegistrationSource.STAFF,
                                       actor=owner)
    assert registration.status == CONFIRMED


def test_update_registration_changes_details_not_email_or_status(owner):
    registration, _ = make_registration(registration_event(owner))
    data = {**make_data(), "email": "other@example.org", "given_name": "Ayu",
            "status": "rejected"}
    service.update_registration(registration, data=data)
    assert registration.given_name == "Ayu" and registration.email.startswith("person")
    assert registration.status == CONFIRMED
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.update"))
    assert "given_name" in entry.details["fields"]


def test_update_registration_respects_the_quota_of_a_new_country(owner):
    event = registration_event(owner, country_quota=1)
    make_registration(event, country="MY")
    thai, _ = make_registration(event, country="TH")
    with pytest.raises(Conflict) as raised:
        service.update_registration(thai, data={**make_data(), "country": "MY"})
    assert raised.value.field == "country"


def test_resend_manage_link_replaces_the_old_link(owner):
    event = registration_event(owner)
    registration, token = make_registration(event, email="lost@example.org")
    assert service.resend_manage_link(event, "LOST@example.org") is True
    with pytest.raises(NotFound):
        service.get_registration_by_token(token)
    assert len(registration.links) == 1
    assert service.resend_manage_link(event, "nobody@example.org") is False
    templates = db.session.scalars(select(OutboxEmail.template)).all()
    assert templates.count("registration_link_to_delegate") == 1


def test_get_registration_by_token_refuses_tampered_tokens(owner):
    _, token = make_registration(registration_event(owner))
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500, "../etc"):
        with pytest.raises(NotFound):
            service.get_registration_by_token(bad)


def test_status_counts_lists_every_status(owner):
    counts = service.status_counts(registration_event(owner))
    assert set(counts) == set(RegistrationStatus) and sum(counts.values()) == 0


def test_notifications_follow_each_change(owner):
    event = registration_event(owner, capacity=1)
    confirmed, _ = make_registration(event)
    make_registration(event)
    service.cancel_registration(confirmed)
    templates = db.session.scalars(select(OutboxEmail.template).order_by(OutboxEmail.id)).all()
    assert templates == ["registration_confirmed_to_delegate",
                         "registration_waitlisted_to_delegate",
                         "registration_cancelled_to_delegate",
                         "registration_promoted_to_delegate"]


def test_promotion_email_brings_the_new_link(owner):
    event = registration_event(owner, capacity=1)
    first, _first_token = make_registration(event, email="first@example.org")
    waiting, waiting_token = make_registration(event, email="second@example.org")
    assert waiting.status == WAITLISTED
    service.cancel_registration(first)
    with pytest.raises(NotFound):
        service.get_registration_by_token(waiting_token)
    assert waiting.status == CONFIRMED and len(waiting.links) == 1


@pytest.mark.parametrize("email", ["соколова@example.org", "no-at-sign", "a@b"])
def test_register_refuses_addresses_we_cannot_send_to(owner, email):
    with pytest.raises(ServiceError) as raised:
        make_registration(registration_event(owner), email=email)
    assert raised.value.field == "email"
