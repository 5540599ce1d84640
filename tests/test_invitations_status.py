"""Invitee statuses, their precedence, the time of each step and the funnel (services)."""

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import (
    InvitationResponse,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.invitations.invitation_status import (
    InviteeFilters,
    InviteeStatus,
    funnel,
    invitee_progress,
    invitees_query,
    progress_of,
    status_counts,
)
from tests.factories import add_invitee, add_registration, registration_event

_numbers = count(1)


@pytest.fixture
def event(make_user):
    return registration_event(make_user())


def mailing(event, kind=MailingKind.INVITATION) -> Mailing:
    row = Mailing(event_id=event.id, kind=kind, send_key=f"key-{next(_numbers)}")
    db.session.add(row)
    db.session.commit()
    return row


def email(invitee, mailing_row, status, *, error="", sent_at=None, created_at=None):
    number = next(_numbers)
    row = OutboxEmail(event_id=invitee.event_id, mailing_id=mailing_row.id,
                      invitee_id=invitee.id, template="invitation", recipient=invitee.email,
                      subject=f"Invitation {number}", body_text="Hello",
                      message_id=f"<m{number}@example.org>", status=status, last_error=error,
                      sent_at=sent_at, created_at=created_at or utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def status_of(invitee) -> InviteeStatus:
    return invitee_progress(invitee).status


def filtered(event, status) -> set[int]:
    query = invitees_query(event, InviteeFilters(status=status))
    return {invitee.id for invitee in db.session.scalars(query)}


def test_each_status_is_derived_from_the_invitee_and_its_emails(event):
    invitation, reminder = mailing(event), mailing(event, MailingKind.REMINDER)
    announcement = mailing(event, MailingKind.ANNOUNCEMENT)
    people = {name: add_invitee(event) for name in (
        "not_sent", "queued", "sending", "sent", "failed", "bounced_5xx", "bounced_mark",
        "accepted", "declined", "unsubscribed", "announcement_only")}
    email(people["queued"], invitation, OutboxStatus.QUEUED)
    email(people["sending"], reminder, OutboxStatus.SENDING)
    email(people["sent"], invitation, OutboxStatus.SENT, sent_at=utcnow())
    email(people["failed"], invitation, OutboxStatus.FAILED, error="421 Try again later")
    email(people["bounced_5xx"], invitation, OutboxStatus.FAILED, error="550 No such user")
    people["bounced_mark"].bounced_at = utcnow()
    people["accepted"].response = InvitationResponse.ACCEPTED
    people["declined"].response = InvitationResponse.DECLINED
    people["unsubscribed"].unsubscribed_at = utcnow()
    db.session.commit()
    email(people["announcement_only"], announcement, OutboxStatus.SENT, sent_at=utcnow())

    expected = {
        "not_sent": InviteeStatus.NOT_SENT, "queued": InviteeStatus.QUEUED,
        "sending": InviteeStatus.QUEUED, "sent": InviteeStatus.SENT,
        "failed": InviteeStatus.FAILED, "bounced_5xx": InviteeStatus.BOUNCED,
        "bounced_mark": InviteeStatus.BOUNCED, "accepted": InviteeStatus.ACCEPTED,
        "declined": InviteeStatus.DECLINED, "unsubscribed": InviteeStatus.UNSUBSCRIBED,
        "announcement_only": InviteeStatus.NOT_SENT,
    }
    assert {name: status_of(person) for name, person in people.items()} == expected
    # the list filters the same way, in SQL
    for status in InviteeStatus:
        assert filtered(event, status) == {
            people[name].id for name, value in expected.items() if value == status}, status
    counts = status_counts(event)
    assert counts[InviteeStatus.QUEUED] == 2
    assert counts[InviteeStatus.BOUNCED] == 2
    assert counts[InviteeStatus.NOT_SENT] == 2
    assert sum(counts.values()) == len(people)


def test_precedence_accepted_over_declined_over_unsubscribed_over_bounced(event):
    invitation = mailing(event)
    person = add_invitee(event)
    email(person, invitation, OutboxStatus.QUEUED)
    assert status_of(person) == InviteeStatus.QUEUED
    email(person, mailing(event, MailingKind.REMINDER), OutboxStatus.SENT, sent_at=utcnow())
    assert status_of(person) == InviteeStatus.SENT
    email(person, mailing(event), OutboxStatus.FAILED, error="452 Mailbox full")
    assert status_of(person) == InviteeStatus.FAILED
    email(person, mailing(event), OutboxStatus.FAILED, error="554 5.7.1 Rejected")
    assert status_of(person) == InviteeStatus.BOUNCED
    person.unsubscribed_at = utcnow()
    db.session.commit()
    assert status_of(person) == InviteeStatus.UNSUBSCRIBED
    person.response = InvitationResponse.DECLINED
    db.session.commit()
    assert status_of(person) == InviteeStatus.DECLINED
    person.response = InvitationResponse.ACCEPTED
    db.session.commit()
    assert status_of(person) == InviteeStatus.ACCEPTED


@pytest.mark.parametrize(("error", "status"), [
    ("550 5.1.1 User unknown", InviteeStatus.BOUNCED),
    ("553", InviteeStatus.BOUNCED),
    ("450 Greylisted", InviteeStatus.FAILED),
    ("Connection lost", InviteeStatus.FAILED),
    ("5 minutes passed", InviteeStatus.FAILED),
    ("", InviteeStatus.FAILED),
])
def test_bounce_needs_a_5xx_answer(event, error, status):
    person = add_invitee(event)
    email(person, mailing(event), OutboxStatus.FAILED, error=error)
    assert status_of(person) == status
    assert filtered(event, status) == {person.id}


def test_times_of_each_step(event):
    invitation = mailing(event)
    person = add_invitee(event)
    queued_at = utcnow() - timedelta(days=3)
    sent_at = utcnow() - timedelta(days=2)
    email(person, invitation, OutboxStatus.SENT, sent_at=sent_at, created_at=queued_at)
    email(person, mailing(event, MailingKind.REMINDER), OutboxStatus.SENT,
          sent_at=utcnow(), created_at=utcnow())
    registration = add_registration(event, email=person.email, checked_in_at=utcnow())
    person.registration_id = registration.id
    person.response = InvitationResponse.ACCEPTED
    person.responded_at = utcnow() - timedelta(days=1)
    db.session.commit()
    progress = invitee_progress(person)
    assert progress.status == InviteeStatus.ACCEPTED
    assert abs(progress.first_queued_at - queued_at) < timedelta(seconds=1)
    assert abs(progress.first_sent_at - sent_at) < timedelta(seconds=1)
    assert progress.registered_at == registration.created_at
    assert progress.checked_in_at is not None
    assert progress.status_time == person.responded_at
    assert progress.first_sent_at.tzinfo is not None


def test_funnel_counts(event):
    invitation = mailing(event)
    people = [add_invitee(event) for _ in range(6)]
    for person in people[:4]:
        email(person, invitation, OutboxStatus.SENT, sent_at=utcnow())
    email(people[4], invitation, OutboxStatus.FAILED, error="550 no")
    # two emails for one person count once
    email(people[0], mailing(event, MailingKind.REMINDER), OutboxStatus.SENT, sent_at=utcnow())
    people[1].response = InvitationResponse.DECLINED
    checked = add_registration(event, email=people[2].email, checked_in_at=utcnow())
    cancelled = add_registration(event, email=people[3].email,
                                 status=RegistrationStatus.CANCELLED)
    confirmed = add_registration(event, email=people[0].email)
    for person, registration in ((people[2], checked), (people[3], cancelled),
                                 (people[0], confirmed)):
        person.response = InvitationResponse.ACCEPTED
        person.registration_id = registration.id
    db.session.commit()
    other_event = registration_event(event.owner)
    add_invitee(other_event)
    numbers = funnel(event)
    assert (numbers.invited, numbers.sent, numbers.responded, numbers.registered,
            numbers.checked_in) == (6, 4, 4, 2, 1)
    assert [key for key, _label, _count in numbers.steps()] == [
        "invited", "sent", "responded", "registered", "checked_in"]


def test_progress_of_takes_a_fixed_number_of_queries(app, event):
    from sqlalchemy import event as sa_event

    invitation = mailing(event)
    for _ in range(30):
        person = add_invitee(event)
        email(person, invitation, OutboxStatus.SENT, sent_at=utcnow())
    invitees = list(db.session.scalars(select(Invitee).where(Invitee.event_id == event.id)))
    statements = []

    def record(*args):
        statements.append(args[2])

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = progress_of(invitees)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert len(result) == 30
    assert len(statements) <= 3


def test_filters_ignore_nonsense():
    filters = InviteeFilters.from_args({"status": "bogus", "country": "Atlantis",
                                        "q": "  a\x00b  ", "group": "x" * 500})
    assert filters.status is None
    assert filters.country == ""
    assert filters.q == "ab"
    assert len(filters.group) == 100
