"""The check-in service: first check-in wins, status rules, undo, counts and search."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Event, Registration, RegistrationStatus, User, utcnow
from seminar_app.services.errors import Conflict, NotFound, PermissionDenied
from seminar_app.services.registration.checkin import (
    arrival_counts,
    check_in,
    search_for_checkin,
    undo_check_in,
)
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event


@pytest.fixture
def organizer(make_user):
    return make_user("organizer")


@pytest.fixture
def event(organizer):
    return create_event(organizer)


def _audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_check_in_by_badge_code_records_time_user_and_audit(event, organizer):
    registration = add_registration(event)
    before = utcnow()

    result = check_in(event, badge_code=registration.badge_code, user=organizer)

    assert result.already_checked_in is False
    assert result.registration.id == registration.id
    assert before <= result.checked_in_at <= utcnow()
    assert result.checked_in_by.id == organizer.id
    db.session.expire_all()
    stored = db.session.get(Registration, registration.id)
    assert stored.checked_in_at == result.checked_in_at
    assert stored.checked_in_by_id == organizer.id
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "registration.check_in"))
    assert (entry.object_id, entry.event_id, entry.user_id) == (
        registration.id, event.id, organizer.id)


def test_check_in_code_ignores_case_and_surrounding_whitespace(event, organizer):
    registration = add_registration(event)

    result = check_in(event, badge_code=f"  {registration.badge_code.lower()}\n", user=organizer)

    assert result.registration.id == registration.id


def test_check_in_accepts_the_reference_too(event, organizer):
    registration = add_registration(event)

    result = check_in(event, badge_code=registration.reference.lower(), user=organizer)

    assert result.registration.id == registration.id


def test_check_in_repeated_scan_returns_the_original_time_and_person(event, organizer, make_user):
    registration = add_registration(event)
    first = check_in(event, badge_code=registration.badge_code, user=organizer)
    colleague = make_user("staff")

    again = check_in(event, badge_code=registration.badge_code, user=colleague)
    by_id = check_in(event, registration_id=registration.id, user=colleague)

    for result in (again, by_id):
        assert result.already_checked_in is True
        assert result.checked_in_at == first.checked_in_at
        assert result.checked_in_by.id == organizer.id
    assert _audit_count("registration.check_in") == 1


@pytest.mark.parametrize("status", [
    RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED,
    RegistrationStatus.REJECTED, RegistrationStatus.CANCELLED,
])
def test_check_in_refuses_registrations_that_are_not_confirmed(event, organizer, status):
    registration = add_registration(event, status=status)

    with pytest.raises(Conflict) as refused:
        check_in(event, badge_code=registration.badge_code, user=organizer)

    assert refused.value.message.startswith("Not confirmed")
    db.session.rollback()
    assert db.session.get(Registration, registration.id).checked_in_at is None
    assert _audit_count("registration.check_in") == 0


def test_check_in_message_names_the_status(event, organizer):
    waiting = add_registration(event, status=RegistrationStatus.WAITLISTED)
    cancelled = add_registration(event, status=RegistrationStatus.CANCELLED)

    with pytest.raises(Conflict, match="waiting list"):
        check_in(event, registration_id=waiting.id, user=organizer)
    with pytest.raises(Conflict, match="cancelled"):
        check_in(event, registration_id=cancelled.id, user=organizer)


def test_check_in_code_of_another_event_is_not_found(event, organizer):
    other_event = create_event(organizer)
    stranger = add_registration(other_event)

    with pytest.raises(NotFound):
        check_in(event, badge_code=stranger.badge_code, user=organizer)
    with pytest.raises(NotFound):
        check_in(event, registration_id=stranger.id, user=organizer)
    db.session.rollback()
    assert db.session.get(Registration, stranger.id).checked_in_at is None


@pytest.mark.parametrize("code", ["", "   ", "NOSUCHCODE234567", "X" * 5000, "AB\x00CD"])
def test_check_in_unknown_or_bad_code_is_not_found(event, organizer, code):
    add_registration(event)

    with pytest.raises(NotFound):
        check_in(event, badge_code=code, user=organizer)


def test_check_in_needs_exactly_one_way_to_find_the_registration(event, organizer):
    with pytest.raises(ValueError):
        check_in(event, user=organizer)
    with pytest.raises(ValueError):
        check_in(event, badge_code="A", registration_id=1, user=organizer)


def _scan_in_thread(app, event_id, user_id, code, barrier, results, errors):
    try:
        with app.app_context():
            event = db.session.get(Event, event_id)
            user = db.session.get(User, user_id)
            db.session.commit()  # end the read; each thread starts its own write below
            barrier.wait(timeout=10)
            result = check_in(event, badge_code=code, user=user)
            results.append((result.already_checked_in, result.checked_in_at, user_id))
            db.session.remove()
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(repr(error))


@pytest.mark.parametrize("round_", range(3))
def test_check_in_concurrent_scans_record_exactly_one_time(app, event, make_user, round_):
    desks = [make_user("staff") for _ in range(4)]
    for user in desks:
        add_team_member(event, user, can_checkin=True)
    registration = add_registration(event)
    ids = (event.id, registration.id, registration.badge_code, [u.id for u in desks])
    db.session.commit()
    db.session.remove()
    event_id, registration_id, code, user_ids = ids
    barrier = threading.Barrier(len(user_ids))
    results, errors = [], []
    threads = [
        threading.Thread(target=_scan_in_thread,
                         args=(app, event_id, uid, code, barrier, results, errors))
        for uid in user_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert len(results) == len(user_ids)
    firsts = [r for r in results if r[0] is False]
    assert len(firsts) == 1, results
    assert len({r[1] for r in results}) == 1, "every desk must see the same arrival time"
    stored = db.session.get(Registration, registration_id)
    assert stored.checked_in_by_id == firsts[0][2]
    assert stored.checked_in_at == firsts[0][1]
    assert _audit_count("registration.check_in") == 1


def test_undo_check_in_forgets_the_arrival_and_audits(event, organizer):
    registration = add_registration(event)
    check_in(event, registration_id=registration.id, user=organizer)

    undo_check_in(registration, user=organizer)

    db.session.expire_all()
    stored = db.session.get(Registration, registration.id)
    assert stored.checked_in_at is None and stored.checked_in_by_id is None
    assert _audit_count("registration.undo_check_in") == 1
    again = check_in(event, registration_id=registration.id, user=organizer)
    assert again.already_checked_in is False


def test_undo_check_in_refused_to_checkin_staff(event, organizer, make_user):
    desk = make_user("staff")
    add_team_member(event, desk, can_checkin=True)
    registration = add_registration(event)
    check_in(event, registration_id=registration.id, user=desk)

    with pytest.raises(PermissionDenied):
        undo_check_in(registration, user=desk)
    db.session.rollback()
    assert db.session.get(Registration, registration.id).checked_in_at is not None


def test_undo_check_in_of_a_registration_not_checked_in_is_a_conflict(event, organizer):
    registration = add_registration(event)

    with pytest.raises(Conflict):
        undo_check_in(registration, user=organizer)


def test_arrival_counts_count_confirmed_only(event, organizer):
    assert arrival_counts(event) == (0, 0)
    arrived = [add_registration(event) for _ in range(2)]
    add_registration(event)
    add_registration(event, status=RegistrationStatus.WAITLISTED)
    late_cancel = add_registration(event)
    for registration in [*arrived, late_cancel]:
        check_in(event, registration_id=registration.id, user=organizer)
    late_cancel.status = RegistrationStatus.CANCELLED
    db.session.commit()
    add_registration(create_event(organizer))  # another event's registration

    assert arrival_counts(event) == (2, 3)


def test_search_for_checkin_matches_names_organisation_reference(event):
    siti = add_registration(event, given_name="Siti", family_name="Rahmawati",
                             organisation="Kementerian Luar Negeri")
    jose = add_registration(event, given_name="José", family_name="Núñez",
                             organisation="Embajada de Chile")
    ivan = add_registration(event, given_name="Иван", family_name="Петров",
                             organisation="Посольство России")

    assert search_for_checkin(event, "rahma") == [siti]
    assert search_for_checkin(event, "SITI rahmawati") == [siti]
    assert search_for_checkin(event, "kementerian") == [siti]
    assert search_for_checkin(event, "jose nunez") == [jose]
    assert search_for_checkin(event, "иван") == [ivan]
    assert search_for_checkin(event, siti.reference.lower()) == [siti]
    assert search_for_checkin(event, "siti chile") == []
    assert search_for_checkin(event, "   ") == []


def test_search_for_checkin_lists_confirmed_first_and_stays_in_the_event(event, organizer):
    waiting = add_registration(event, family_name="Abdullah", status=RegistrationStatus.WAITLISTED)
    confirmed = add_registration(event, family_name="Zain")
    add_registration(create_event(organizer), family_name="Abdullah")

    assert search_for_checkin(event, "delegate") == [confirmed, waiting]
    assert search_for_checkin(event, "abdullah") == [waiting]


def test_search_for_checkin_respects_the_limit(event):
    for number in range(5):
        add_registration(event, family_name=f"Santoso {number}")

    assert len(search_for_checkin(event, "santoso", limit=3)) == 3


def test_check_in_time_is_kept_when_event_day_changes(event, organizer):
    registration = add_registration(event)
    yesterday = utcnow() - timedelta(days=1)
    registration.checked_in_at = yesterday
    registration.checked_in_by_id = organizer.id
    db.session.commit()

    result = check_in(event, badge_code=registration.badge_code, user=organizer)

    assert result.already_checked_in is True
    assert abs(result.checked_in_at - yesterday) < timedelta(seconds=1)
