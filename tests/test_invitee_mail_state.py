"""The invitee's mail state kept on their row (issue 19): after every change of an invitation
email, the stored ``mail_state``/``mail_sent`` equal what the outbox says, so the list, its
filters and the funnel can read the row instead of searching the outbox."""

import os
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from seminar_app.database import transaction
from seminar_app.extensions import db
from seminar_app.models import Invitee, MailingKind, OutboxEmail, OutboxStatus, utcnow
from seminar_app.services.invitations import mailings, rsvp
from seminar_app.services.invitations.mail_state import _inviting_emails, _mail_state_expression
from seminar_app.services.mail import outbox, outbox_admin
from tests.factories import add_invitee, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _stored_and_computed(event):
    db.session.expire_all()
    rows = db.session.execute(
        select(Invitee.id, Invitee.mail_state, Invitee.mail_sent, _mail_state_expression(),
               _inviting_emails(OutboxEmail.status == OutboxStatus.SENT))
        .where(Invitee.event_id == event.id).order_by(Invitee.id)).all()
    stored = {row[0]: (row[1], bool(row[2])) for row in rows}
    computed = {row[0]: (row[3], bool(row[4])) for row in rows}
    return stored, computed


def _states(event):
    stored, computed = _stored_and_computed(event)
    assert stored == computed
    return [state for state, _sent in stored.values()]


def _email_of(invitee):
    return db.session.scalars(select(OutboxEmail.id).where(OutboxEmail.invitee_id == invitee.id)
                              .order_by(OutboxEmail.id)).all()


def test_every_transition_keeps_the_stored_state_true(app, owner, event):
    people = [add_invitee(event) for _ in range(6)]
    assert _states(event) == ["not_sent"] * 6
    mailing, _created = mailings.create_mailing(
        event, MailingKind.INVITATION, {"audience": "all"}, send_key=secrets.token_urlsafe(24))
    mailings.prepare_mailing(mailing.id)  # no mail server in tests: the rows wait
    assert _states(event) == ["queued"] * 6
    first = [_email_of(person)[0] for person in people]
    with transaction():
        outbox.claim_emails(first[:4])
    assert _states(event) == ["queued"] * 6  # sending still counts as waiting
    with transaction():
        outbox.mark_sent(first[0])
        outbox.mark_failed(first[1], "550 5.1.1 No such user")
        outbox.mark_failed(first[2], "421 Try again later")
    assert _states(event)[:3] == ["sent", "bounced", "failed"]
    assert _stored_and_computed(event)[0][people[0].id] == ("sent", True)
    # the sweeper gives up on a row stuck in "sending"
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    try:
        with transaction():
            outbox._requeue_stuck(utcnow() + timedelta(days=1))
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 8
    assert _states(event)[3] == "failed"
    # staff send the failed ones again
    outbox_admin.retry_failed_emails(actor=owner, event=event)
    assert _states(event)[1:4] == ["queued", "queued", "queued"]
    # an answer cancels the waiting emails: stored state follows the outbox
    rsvp.decline_invitation(people[4])
    assert _states(event)[4] == "failed"
    # one email retried by hand, through the ORM
    row = db.session.get(OutboxEmail, first[1])
    with transaction():
        outbox.mark_failed(row.id, "550 gone")
    outbox_admin.retry_email(db.session.get(OutboxEmail, first[1]), actor=owner)
    assert _states(event)[1] == "queued"


def test_list_filters_and_funnel_read_the_stored_state(app, event):
    from seminar_app.services.invitations.invitation_status import (
        InviteeFilters,
        InviteeStatus,
        funnel,
        invitees_query,
    )

    sent, waiting = add_invitee(event), add_invitee(event)
    add_invitee(event)
    mailing, _created = mailings.create_mailing(
        event, MailingKind.INVITATION, {"audience": "all"}, send_key=secrets.token_urlsafe(24))
    mailings.prepare_mailing(mailing.id)
    with transaction():
        outbox.mark_sent(_email_of(sent)[0])
    query = invitees_query(event, InviteeFilters(status=InviteeStatus.SENT))
    assert [invitee.id for invitee in db.session.scalars(query)] == [sent.id]
    query = invitees_query(event, InviteeFilters(status=InviteeStatus.QUEUED))
    assert waiting.id in {invitee.id for invitee in db.session.scalars(query)}
    assert funnel(event).sent == 1


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="planner statistics exist on PostgreSQL only")
def test_a_bulk_import_refreshes_the_planner_statistics(app, owner, event):
    from seminar_app.services.invitations import invitee_import

    csv = "name,email\n" + "".join(f"Invitee {n},inv{n}@example.org\n" for n in range(600))
    upload = invitee_import.store_import_file(event, csv.encode(), "list.csv", actor=owner)
    assert invitee_import.import_invitees(event, upload, actor=owner).created == 600
    tuples = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'invitees'"))
    assert tuples >= 600  # never analysed: -1 (or 0 after the tests' TRUNCATE)
