"""Confirm within N days (Event.promotion_confirm_days): a promoted delegate holds the place
until a deadline, is emailed the date in the event's time zone in their language, answers on
their personal page; a periodic task passes the places not confirmed in time on, exactly once
even with several workers; a reminder a day before."""

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, OutboxEmail, Registration, RegistrationStatus, utcnow
from seminar_app.services.registration import promotions, waitlist
from seminar_app.services.registration import registrations as service
from seminar_app.services.registration.registration_codes import new_manage_token
from tests.conftest import post_form
from tests.factories import make_registration, registration_event
from tests.test_waitlist_paths import delegation_of, status_of

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def promoted_event(owner, *, days=3, waiting=2, language="en", **overrides):
    """A full event (capacity 1) asking promoted delegates to confirm within ``days``; the
    confirmed delegate cancels, so the first waiting one is promoted. Returns (event,
    promoted registration, [the others still waiting])."""
    event = registration_event(owner, capacity=1, promotion_confirm_days=days, **overrides)
    leaving, _ = make_registration(event)
    line = [make_registration(event, language=language)[0] for _ in range(waiting)]
    service.cancel_registration(leaving)
    return event, line[0], line[1:]


def emails_to(registration, template):
    return db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.recipient == registration.email,
        OutboxEmail.template == template).order_by(OutboxEmail.id)).all()


def fresh_token(registration):
    token = new_manage_token(registration)
    db.session.commit()
    return token


# --- promotion with a deadline ---------------------------------------------------------------

def test_a_promoted_delegate_holds_the_place_until_the_deadline(owner):
    before = utcnow()
    event, promoted, (still_waiting,) = promoted_event(owner)
    assert status_of(promoted) == CONFIRMED and status_of(still_waiting) == WAITLISTED
    assert before + timedelta(days=3) <= promoted.promotion_expires_at \
        <= utcnow() + timedelta(days=3)
    assert promotions.awaiting_confirmation(promoted)
    (email,) = emails_to(promoted, "registration_promoted_confirm_to_delegate")
    assert not emails_to(promoted, "registration_promoted_to_delegate")
    assert "please confirm by" in email.subject and "WIB" in email.subject


def test_staff_promotion_and_whole_delegations_get_the_deadline_too(owner):
    event = registration_event(owner, capacity=1, promotion_confirm_days=2)
    make_registration(event)
    group = delegation_of(event, 2)
    event.capacity = 3
    db.session.commit()
    waitlist.promote_registration(group[0], owner)
    for member in group:
        db.session.refresh(member)
        assert member.status == CONFIRMED and member.promotion_expires_at is not None


def test_without_the_setting_promotion_is_final(owner):
    event, promoted, _rest = promoted_event(owner, days=None)
    assert status_of(promoted) == CONFIRMED and promoted.promotion_expires_at is None
    assert emails_to(promoted, "registration_promoted_to_delegate")


@pytest.mark.parametrize(("language", "subject", "words"), [
    ("en", "A place is free for you at Jakarta Forum: please confirm by",
     ['choose "Yes, I will attend"', "WITA"]),
    ("id", "Ada tempat untuk Anda di Jakarta Forum: mohon konfirmasi paling lambat",
     ['pilih "Ya, saya akan hadir"', "WITA"]),
])
def test_the_promotion_email_says_the_date_in_the_delegates_language(
        owner, smtp_server, language, subject, words):
    event, promoted, _rest = promoted_event(owner, language=language, title="Jakarta Forum",
                                            timezone="Asia/Makassar", waiting=1)
    messages = [m["message"] for m in smtp_server.wait_for(3)
                if m["to"] == [promoted.email]]
    message = next(m for m in messages if m["Subject"].startswith(subject))
    text = message.get_body(("plain",)).get_content()
    for word in words:
        assert word in text
    assert "/r/" in text
    assert f'<html lang="{language}">' in message.get_body(("html",)).get_content()
    deadline = promoted.promotion_expires_at.astimezone(ZoneInfo("Asia/Makassar"))
    assert f"{deadline:%H}" in message["Subject"]


# --- the delegate answers --------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "texts"), [
    ("en", ["A place is yours: please confirm", "Yes, I will attend", "I can no longer attend"]),
    ("id", ["Ada tempat untuk Anda: mohon konfirmasi", "Ya, saya akan hadir",
            "Saya tidak dapat hadir"]),
])
def test_the_personal_page_asks_and_yes_keeps_the_place(client, owner, lang, texts):
    event, promoted, _rest = promoted_event(owner)
    token = fresh_token(promoted)
    client.set_cookie("lang", lang)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert all(text in page for text in texts)
    response = post_form(client, f"/r/{token}/promotion/confirm")
    assert response.status_code == 303
    db.session.refresh(promoted)
    assert promoted.status == CONFIRMED and promoted.promotion_expires_at is None
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert texts[1] not in page
    assert post_form(client, f"/r/{token}/promotion/confirm").status_code == 409
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.promotion_confirmed")) == 1
    # nothing left to expire
    assert promotions.expire_promotions(utcnow() + timedelta(days=10)) == 0


def test_no_longer_attending_passes_the_place_on(client, owner):
    event, promoted, (next_one,) = promoted_event(owner)
    token = fresh_token(promoted)
    response = post_form(client, f"/r/{token}/promotion/decline")
    assert response.status_code == 200
    assert status_of(promoted) == CANCELLED and status_of(next_one) == CONFIRMED
    assert next_one.promotion_expires_at is not None  # the next one has N days too
    assert emails_to(promoted, "registration_cancelled_to_delegate")
    assert client.get(f"/r/{token}").status_code == 410


def test_a_delegate_with_nothing_to_confirm_gets_a_409(client, owner):
    event = registration_event(owner, capacity=5, promotion_confirm_days=3)
    _registration, token = make_registration(event)
    assert post_form(client, f"/r/{token}/promotion/confirm").status_code == 409
    assert post_form(client, f"/r/{token}/promotion/decline").status_code == 409
    assert client.post(f"/r/{token}/promotion/confirm").status_code == 400  # no CSRF token


def test_staff_see_awaiting_confirmation(client, auth, owner):
    event, promoted, _rest = promoted_event(owner)
    auth.login(owner)
    page = client.get(f"/manage/events/{event.id}/registrations/{promoted.id}").get_data(
        as_text=True)
    assert "Awaiting confirmation until" in page and "WIB" in page
    page = client.get(f"/manage/events/{event.id}/registrations").get_data(as_text=True)
    assert "Awaiting confirmation until" in page
    promotions.confirm_attendance(promoted)
    page = client.get(f"/manage/events/{event.id}/registrations/{promoted.id}").get_data(
        as_text=True)
    assert "Awaiting confirmation until" not in page
    assert "Confirmed the place won from the waiting list" in page


# --- the periodic task -----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "id"])
def test_an_expired_promotion_passes_the_place_on(owner, language):
    event, promoted, (next_one,) = promoted_event(owner, language=language)
    assert promotions.expire_promotions() == 0  # not yet
    promoted.promotion_expires_at = utcnow() - timedelta(minutes=1)  # three days later
    db.session.commit()
    assert promotions.expire_promotions() == 1
    db.session.refresh(promoted)
    assert promoted.status == CANCELLED and promoted.promotion_expires_at is None
    assert promoted.decision_reason == promotions.EXPIRED_REASON == "not confirmed in time"
    (email,) = emails_to(promoted, "registration_promotion_expired_to_delegate")
    assert email.language == language
    assert email.subject.startswith("Your place at" if language == "en" else "Tempat Anda di")
    assert status_of(next_one) == CONFIRMED
    assert next_one.promotion_expires_at > utcnow() + timedelta(days=2, hours=23)
    assert promotions.expire_promotions() == 0  # exactly once


def test_the_task_is_exactly_once_across_workers(app, owner):
    """Four workers run the expiry at once on separate connections: one promotion is passed
    on once, one delegate moves up."""
    event, promoted, (next_one,) = promoted_event(owner)
    promoted.promotion_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    db.session.rollback()
    barrier = threading.Barrier(4, timeout=30)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(promotions.expire_promotions())
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sorted(results) == [0, 0, 0, 1]
    db.session.expire_all()
    assert db.session.get(Registration, next_one.id).status == CONFIRMED
    for action, expected in (("registration.promotion_expired", 1),
                             ("registration.promote", 2)):
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == action, AuditEntry.event_id == event.id)) == expected
    assert len(emails_to(promoted, "registration_promotion_expired_to_delegate")) == 1


def test_a_reminder_a_day_before_once(owner):
    event, promoted, _rest = promoted_event(owner)
    assert promotions.remind_promotions() == 0  # three days ahead
    almost = utcnow() + timedelta(days=2, hours=1)
    assert promotions.remind_promotions(almost) == 1
    assert promotions.remind_promotions(almost + timedelta(hours=1)) == 0
    (email,) = emails_to(promoted, "registration_promotion_reminder_to_delegate")
    assert email.subject.startswith("Reminder: please confirm your place at")
    assert "/r/" in email.body_text


def test_no_reminder_when_the_delegate_had_a_day_or_less(owner):
    event, promoted, _rest = promoted_event(owner, days=1)
    assert promotions.remind_promotions(utcnow() + timedelta(hours=2)) == 0


def test_the_periodic_task_runs(app, owner):
    event, promoted, (next_one,) = promoted_event(owner)
    promoted.promotion_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    task = app.extensions["huey_tasks"]["expire_promotions"]
    db.session.rollback()
    task()  # immediate mode in tests
    db.session.expire_all()
    assert db.session.get(Registration, promoted.id).status == CANCELLED
    assert db.session.get(Registration, next_one.id).status == CONFIRMED


def test_the_deadline_is_never_after_the_start_and_final_once_started(owner):
    soon = utcnow() + timedelta(hours=30)
    event, promoted, _rest = promoted_event(owner, start_at=soon)
    assert promoted.promotion_expires_at == soon  # not three days: the event starts before
    started = registration_event(owner, capacity=1, promotion_confirm_days=3,
                                 start_at=utcnow() - timedelta(hours=1))
    leaving, _ = make_registration(started)
    waiting, _ = make_registration(started)
    service.cancel_registration(leaving)
    db.session.refresh(waiting)
    assert waiting.status == CONFIRMED and waiting.promotion_expires_at is None


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "When you move up, you will have 3 days to confirm that you will attend."),
    ("id", "Anda mempunyai waktu 3 hari untuk mengonfirmasi kehadiran Anda."),
])
def test_a_waiting_delegate_is_told_how_long_they_will_have(client, owner, lang, text):
    event, _promoted, (waiting,) = promoted_event(owner)
    client.set_cookie("lang", lang)
    assert text in client.get(f"/r/{fresh_token(waiting)}").get_data(as_text=True)
