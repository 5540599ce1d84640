"""Who invitations and reminders go to: every invitee status × every audience (issue 14).

Invitees who answered (accepted, declined, registered, or an answer recorded by staff) get no
invitation or reminder unless staff tick "include those who have already answered" on an
invitation; unsubscribed and bounced addresses never get one. Recording an answer cancels the
invitee's invitations and reminders still waiting in the outbox.
"""

import secrets
from datetime import date

import pytest
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    InvitationResponse,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    ResponseChannel,
    utcnow,
)
from seminar_app.services.invitations import invitations, mailing_audiences, mailings, rsvp
from seminar_app.services.mail import outbox_admin
from seminar_app.services.mail.compose import RenderedEmail, insert_outbox_rows, outbox_row
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, form_fields, registration_event

#: the situations an invitee can be in, and whether each counts as having answered
STATUSES = {
    "not_sent": False, "queued": False, "sent": False, "failed": False, "bounced": False,
    "unsubscribed": False, "accepted_online": True, "declined_online": True,
    "accepted_by_staff": True, "declined_by_staff": True, "registered_own_address": True,
    "linked_registration": True,
}
#: statuses whose invitee already has an invitation email
INVITED = {"queued", "sent", "failed"}
#: (kind, audience) of every audience an invitation or reminder can choose
AUDIENCES = [(MailingKind.INVITATION, "all"), (MailingKind.INVITATION, "group"),
             (MailingKind.INVITATION, "not_invited"), (MailingKind.REMINDER, "not_answered")]


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _invitation_row(event, invitee, status: OutboxStatus, *, kind=MailingKind.INVITATION):
    """An email of an invitation (or reminder) mailing to ``invitee`` with ``status``."""
    mailing = Mailing(event_id=event.id, kind=kind, audience={"audience": "all"},
                      content={}, send_key=secrets.token_urlsafe(24), recipient_count=1,
                      prepared_at=utcnow())
    db.session.add(mailing)
    db.session.flush()
    row = outbox_row(template=mailings.TEMPLATES[kind], recipient=invitee.email,
                     rendered=RenderedEmail(subject="Invitation", text="x", html="<p>x</p>"),
                     event_id=event.id, mailing_id=mailing.id, invitee_id=invitee.id)
    row["status"] = status
    if status == OutboxStatus.SENT:
        row["sent_at"] = utcnow()
    elif status == OutboxStatus.FAILED:
        row["last_error"] = "421 Try again later"
    insert_outbox_rows([row])
    db.session.commit()
    return mailing


def _make(event, status: str, client=None) -> Invitee:
    """An invitee of group ASEAN in ``status`` (see STATUSES)."""
    invitee = add_invitee(event, group_name="ASEAN")
    if status in INVITED:
        _invitation_row(event, invitee, OutboxStatus(status))
    elif status == "bounced":
        invitations.mark_bounced(invitee, "550 No such user")
    elif status == "unsubscribed":
        invitee.unsubscribed_at = utcnow()
    elif status == "accepted_online":
        assert post_form(client, f"/i/{invitations.invitee_token(invitee)}/register",
                         form_fields(email=invitee.email)).status_code == 303
    elif status == "declined_online":
        rsvp.decline_invitation(invitee, reason="Another commitment")
    elif status in ("accepted_by_staff", "declined_by_staff"):
        invitations.record_offline_response(
            invitee, response=status.split("_")[0], channel=ResponseChannel.NOTE_VERBALE,
            answered_on=date(2026, 1, 5))
    elif status == "registered_own_address":
        add_registration(event, email=invitee.email)
    elif status == "linked_registration":
        registration = add_registration(event, email="other-address@example.org")
        invitations.link_registration(invitee, registration.reference)
    db.session.commit()
    return invitee


def _expected(status: str, audience: str, include_answered: bool) -> bool:
    """The rule, written plainly: is an invitee in ``status`` among the recipients?"""
    if status in ("bounced", "unsubscribed"):
        return False
    if audience == "not_answered":  # reminders: invited, not answered; never the ones who did
        return status in INVITED
    if STATUSES[status] and not include_answered:
        return False
    if audience == "not_invited":
        return status not in INVITED
    return True


def _recipient_ids(event, kind, audience: dict) -> tuple[set, int]:
    """(ids the mailing would be prepared for, the number the confirmation page shows)."""
    checked = mailing_audiences.check_audience(event, kind, audience)
    prepared = set(db.session.scalars(mailing_audiences.audience_query(
        Mailing(event=event, kind=kind, audience=checked)).with_only_columns(Invitee.id)))
    counted = mailing_audiences.count_audience(event, kind, checked)["recipients"]
    breakdown = mailing_audiences.audience_breakdown(event, kind, checked)
    assert {person.id for person in breakdown.sample} == prepared
    assert counted == breakdown.recipients == len(prepared)
    return prepared, counted


@pytest.mark.parametrize("include_answered", [False, True], ids=["answered_left_out",
                                                                  "answered_included"])
@pytest.mark.parametrize(("kind", "audience"), AUDIENCES, ids=[a for _k, a in AUDIENCES])
@pytest.mark.parametrize("status", list(STATUSES))
def test_audience_query_status_by_audience(app, client, event, status, kind, audience,
                                           include_answered):
    bystander = add_invitee(event, group_name="EU")  # never invited, never answered
    invitee = _make(event, status, client)
    choice = {"audience": audience, "include_answered": include_answered}
    if audience == "group":
        choice["group"] = "ASEAN"
    recipients, _count = _recipient_ids(event, kind, choice)
    assert (invitee.id in recipients) is _expected(status, audience, include_answered)
    assert (bystander.id in recipients) is (audience in ("all", "not_invited"))


def test_check_audience_include_answered_only_for_invitations(app, event):
    add_invitee(event)
    assert mailing_audiences.check_audience(
        event, MailingKind.INVITATION, {"audience": "all", "include_answered": "y"}) == {
        "audience": "all", "include_answered": True}
    assert mailing_audiences.check_audience(
        event, MailingKind.REMINDER, {"audience": "not_answered", "include_answered": True}) \
        == {"audience": "not_answered"}
    assert mailing_audiences.check_audience(
        event, MailingKind.INVITATION, {"audience": "all", "include_answered": False}) == {
        "audience": "all"}


def test_create_mailing_not_invited_skips_registered_and_declined(app, db, event):
    """The report: 53 counted "not invited yet" with 12 registered and 4 declined, and a
    declined ambassador got a new invitation queued."""
    fresh = [add_invitee(event) for _ in range(3)]
    declined = add_invitee(event, name="H.E. Declining Ambassador")
    rsvp.decline_invitation(declined)
    registered = add_invitee(event)
    add_registration(event, email=registered.email)
    recorded = add_invitee(event)
    invitations.record_offline_response(recorded, response="declined",
                                        channel=ResponseChannel.LETTER,
                                        answered_on=date(2026, 1, 2))
    counts = mailing_audiences.count_audience(event, MailingKind.INVITATION,
                                              {"audience": "not_invited"})
    assert counts["recipients"] == 3 and counts["answered"] == 3
    mailing, _created = mailings.create_mailing(
        event, MailingKind.INVITATION, {"audience": "not_invited"},
        send_key=secrets.token_urlsafe(24))
    invited = set(db.session.scalars(select(OutboxEmail.invitee_id)
                                     .where(OutboxEmail.mailing_id == mailing.id)))
    assert invited == {invitee.id for invitee in fresh}
    # the same with the explicit tick: everyone not invited yet, answered or not
    again, _created = mailings.create_mailing(
        event, MailingKind.INVITATION, {"audience": "all", "include_answered": True},
        send_key=secrets.token_urlsafe(24))
    assert db.session.scalar(select(func.count()).where(OutboxEmail.mailing_id == again.id)) == 6


def test_audience_breakdown_counts_each_person_once_under_the_first_reason(app, db, event):
    add_invitee(event, language="en", group_name="ASEAN")
    add_invitee(event, language="id", group_name="ASEAN")
    add_invitee(event, language="id", group_name="")
    both = add_invitee(event)  # answered and unsubscribed: counted as answered
    rsvp.decline_invitation(both)
    both.unsubscribed_at = utcnow()
    gone = add_invitee(event)
    gone.unsubscribed_at = utcnow()
    invitations.mark_bounced(add_invitee(event), "550 unknown")
    db.session.commit()
    breakdown = mailing_audiences.audience_breakdown(
        event, MailingKind.INVITATION, {"audience": "all"})
    assert breakdown.recipients == 3
    assert dict(breakdown.by_language) == {"en": 1, "id": 2}
    assert dict(breakdown.by_group) == {"ASEAN": 2, "": 1}
    assert breakdown.left_out == [("answered", 1), ("unsubscribed", 1), ("bounced", 1)]
    assert breakdown.left_out_total == 3


# --- an answer cancels the invitations still waiting -----------------------------------------

def _queued_invitation(event, invitee):
    """An invitation and a reminder mailing to ``invitee``, both waiting (no mail server)."""
    rows = []
    for kind in (MailingKind.INVITATION, MailingKind.REMINDER):
        mailing = _invitation_row(event, invitee, OutboxStatus.QUEUED, kind=kind)
        rows += db.session.scalars(select(OutboxEmail.id)
                                   .where(OutboxEmail.mailing_id == mailing.id)).all()
    return rows


def _states(ids):
    db.session.expire_all()
    return [(db.session.get(OutboxEmail, row_id).status,
             db.session.get(OutboxEmail, row_id).last_error) for row_id in ids]


CANCELLED = (OutboxStatus.FAILED, mailing_audiences.CANCELLED_ANSWERED)


@pytest.mark.parametrize("answer", ["recorded_accept", "recorded_decline", "online_decline",
                                    "online_accept", "linked_registration",
                                    "public_registration"])
def test_cancel_queued_invitations_when_the_invitee_answers(app, client, event, answer):
    invitee = add_invitee(event)
    other = add_invitee(event)
    ids, other_ids = _queued_invitation(event, invitee), _queued_invitation(event, other)
    sent = _invitation_row(event, invitee, OutboxStatus.SENT)
    if answer.startswith("recorded"):
        invitations.record_offline_response(
            invitee, response="accepted" if answer.endswith("accept") else "declined",
            channel=ResponseChannel.PHONE, answered_on=date(2026, 1, 3))
    elif answer == "online_decline":
        rsvp.decline_invitation(invitee)
    elif answer == "online_accept":
        assert post_form(client, f"/i/{invitations.invitee_token(invitee)}/register",
                         form_fields(email=invitee.email)).status_code == 303
    elif answer == "public_registration":  # the public form, under the invitee's address
        assert post_form(client, f"/events/{event.slug}/register",
                         form_fields(email=invitee.email.upper())).status_code == 303
    else:
        registration = add_registration(event, email="registered-elsewhere@example.org")
        invitations.link_registration(invitee, registration.reference)
    assert _states(ids) == [CANCELLED, CANCELLED]
    assert [status for status, _error in _states(other_ids)] == [OutboxStatus.QUEUED] * 2
    sent_row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.mailing_id == sent.id))
    assert sent_row.status == OutboxStatus.SENT


def test_cancel_queued_invitations_leaves_announcements_and_is_audited(app, db, event):
    invitee = add_invitee(event)
    ids = _queued_invitation(event, invitee)
    announcement = _invitation_row(event, invitee, OutboxStatus.QUEUED,
                                   kind=MailingKind.ANNOUNCEMENT)
    db.session.execute(OutboxEmail.__table__.update()
                       .where(OutboxEmail.mailing_id == announcement.id)
                       .values(template="mailing_announcement_to_delegate"))
    db.session.commit()
    assert mailing_audiences.cancel_queued_invitations(invitee) == 2
    db.session.commit()
    assert _states(ids) == [CANCELLED, CANCELLED]
    row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.mailing_id == announcement.id))
    assert row.status == OutboxStatus.QUEUED
    assert mailing_audiences.cancel_queued_invitations(invitee) == 0  # nothing left


def test_retry_failed_emails_never_sends_a_cancelled_invitation(app, db, owner, event):
    invitee = add_invitee(event)
    ids = _queued_invitation(event, invitee)
    mailing_id = db.session.get(OutboxEmail, ids[0]).mailing_id
    failed = add_invitee(event)
    broken = _invitation_row(event, failed, OutboxStatus.FAILED)
    rsvp.decline_invitation(invitee)
    assert outbox_admin.retry_failed_emails(actor=owner, event=event) == 1  # the 421 only
    assert _states(ids) == [CANCELLED, CANCELLED]
    with pytest.raises(outbox_admin.Conflict):
        outbox_admin.retry_email(db.session.get(OutboxEmail, ids[0]), actor=owner)
    progress = mailings.progress_of([db.session.get(Mailing, mailing_id)])[mailing_id]
    assert (progress.cancelled, progress.failed, progress.queued) == (1, 0, 0)
    assert mailings.failed_emails(db.session.get(Mailing, mailing_id)) == []
    assert db.session.get(Mailing, broken.id) is not None
    assert outbox_admin.describe_error(mailing_audiences.CANCELLED_ANSWERED) == \
        "Not sent: the invitee had already answered"


def test_invitee_status_stays_the_answer_after_cancelling(app, db, event):
    from seminar_app.services.invitations.invitation_status import InviteeStatus, invitee_progress

    invitee = add_invitee(event)
    _queued_invitation(event, invitee)
    rsvp.decline_invitation(invitee)
    progress = invitee_progress(db.session.get(Invitee, invitee.id))
    assert progress.status == InviteeStatus.DECLINED
    assert progress.last_failed_at is None  # a cancellation is not a failure
    assert db.session.get(Invitee, invitee.id).response == InvitationResponse.DECLINED
