"""Who a mailing goes to, who is left out and why; invitations cancelled by an answer.

Rules:
- An invitee has *answered* when they accepted or declined (online or recorded by staff), are
  linked to a registration, or have a registration of the event under their own address
  (``answered_clause``). Invitations and reminders never go to invitees who answered, unless
  staff tick "include those who have already answered" on an invitation mailing
  (``include_answered``; reminders never include them).
- Unsubscribed and bounced invitees, and unsubscribed delegates, are left out of every bulk
  mailing, whatever the ticks.
- The feedback survey goes to confirmed delegates (by default those who checked in) who have
  not answered it yet, and only while the survey is open.
- The certificate mailing goes to the delegates who get a certificate of attendance
  (services.registration.certificates: the event's scope), only once certificates are on and
  the event has ended.
- Each person left out is counted once, under the first reason that applies, in the order of
  ``LEFT_OUT_LABELS``; the page that confirms a mailing shows these counts before anything is
  queued.
- Recording an answer (online, by staff, or by linking a registration) cancels the invitee's
  invitation and reminder emails still waiting in the outbox (``cancel_queued_invitations``):
  they are marked FAILED with ``CANCELLED_ANSWERED`` as the reason, are not counted as failures
  of their mailing, and are never sent again by a retry.
"""

import logging
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select, update

from ...extensions import db
from ...models import (
    Event,
    InvitationResponse,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationStatus,
)
from ..audit import record_action
from ..errors import ServiceError
from ..registration.certificates import eligible_clauses, require_certificates_open
from ..surveys.surveys import require_open_survey, survey_answered_clause
from .mail_state import refresh_mail_state

log = logging.getLogger(__name__)

#: audiences per kind (the kinds that can be sent); the first is the default
AUDIENCES = {
    MailingKind.INVITATION: ("all", "group", "not_invited"),
    MailingKind.REMINDER: ("not_answered",),
    MailingKind.ANNOUNCEMENT: ("registered",),
    MailingKind.SURVEY: ("checked_in", "confirmed"),
    MailingKind.CERTIFICATE: ("eligible",),
}
#: registration statuses an announcement may go to (by default confirmed and waitlisted)
ANNOUNCEMENT_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED,
                         RegistrationStatus.PENDING)
DEFAULT_STATUSES = ("confirmed", "waitlisted")
#: the email templates of invitation and reminder mailings (cancelled by an answer)
INVITING_TEMPLATES = ("mailing_invitation_to_invitee", "mailing_reminder_to_invitee")
#: the stored reason of an invitation or reminder not sent because the invitee answered
CANCELLED_ANSWERED = "cancelled: the invitee answered"
#: why people are left out, in the order the reasons are checked
LEFT_OUT_LABELS = {
    "answered": _l("Already answered (accepted, declined or registered)"),
    "already_invited": _l("Already invited"),
    "not_invited": _l("Not invited yet"),
    "unsubscribed": _l("Unsubscribed"),
    "bounced": _l("Address bounced"),
    "survey_answered": _l("Already answered the survey"),
}
#: how many recipients the confirmation page names
SAMPLE_SIZE = 200


# --- checking the choice ---------------------------------------------------------------------

def check_audience(event: Event, kind: MailingKind, data: dict) -> dict:
    """The audience of a mailing of ``kind`` normalized, or a ServiceError on its field."""
    audience = (data.get("audience") or AUDIENCES[kind][0]).strip()
    if audience not in AUDIENCES[kind]:
        raise ServiceError(_("Choose who receives this mailing."), field="audience")
    group = " ".join(str(data.get("group") or "").split())
    result = {"audience": audience}
    if audience == "group" or (audience == "not_answered" and group):
        if not group:
            raise ServiceError(_("Choose a group."), field="group")
        if group not in event_groups(event):
            raise ServiceError(_("This event has no invitees in that group."), field="group")
        result["group"] = group
    if audience == "registered":
        statuses = sorted({str(value) for value in data.get("statuses") or ()})
        allowed = {status.value for status in ANNOUNCEMENT_STATUSES}
        if not statuses or not set(statuses) <= allowed:
            raise ServiceError(_("Choose at least one registration status."), field="statuses")
        result["statuses"] = statuses
    if kind == MailingKind.SURVEY:  # links to a survey that takes no answers help nobody
        require_open_survey(event)
    if kind == MailingKind.CERTIFICATE:  # on, and the event has ended
        require_certificates_open(event)
    if kind == MailingKind.INVITATION and data.get("include_answered") in (True, "y", "1"):
        result["include_answered"] = True
    return result


def event_groups(event: Event) -> list[str]:
    """The invitee groups of ``event``, sorted."""
    return list(db.session.scalars(
        select(Invitee.group_name).where(Invitee.event_id == event.id, Invitee.group_name != "")
        .distinct().order_by(Invitee.group_name)))


# --- the rules, in SQL -----------------------------------------------------------------------

def answered_clause():
    """SQL (correlated to ``Invitee``): the invitee has answered (see the module's rules)."""
    registered = exists(select(Registration.id).where(
        Registration.event_id == Invitee.event_id, Registration.email == Invitee.email))
    return or_(Invitee.response != InvitationResponse.PENDING,
               Invitee.registration_id.is_not(None),
               Invitee.response_channel.is_not(None),
               registered)


def _invited_before(mailing_id: int | None):
    """An EXISTS: the invitee has an email of an invitation mailing (other than this one)."""
    condition = and_(OutboxEmail.invitee_id == Invitee.id,
                     OutboxEmail.mailing_id == Mailing.id,
                     Mailing.kind == MailingKind.INVITATION)
    if mailing_id is not None:
        condition = and_(condition, Mailing.id != mailing_id)
    return exists(select(OutboxEmail.id).join(Mailing, OutboxEmail.mailing_id == Mailing.id)
                  .where(condition))


def _base(event: Event, kind: MailingKind, audience: dict) -> tuple:
    """(model, WHERE clauses of everyone the chosen audience is about, before leaving out)."""
    if kind == MailingKind.CERTIFICATE:  # who gets one, by the event's certificate settings
        return Registration, eligible_clauses(event)
    if kind == MailingKind.SURVEY:  # confirmed delegates; "checked_in": who came
        clauses = [Registration.event_id == event.id,
                   Registration.status == RegistrationStatus.CONFIRMED]
        if audience["audience"] == "checked_in":
            clauses.append(Registration.checked_in_at.is_not(None))
        return Registration, clauses
    if kind == MailingKind.ANNOUNCEMENT:
        statuses = [RegistrationStatus(value) for value in audience.get("statuses", ())]
        return Registration, [Registration.event_id == event.id,
                              Registration.status.in_(statuses)]
    clauses = [Invitee.event_id == event.id]
    if audience.get("group"):
        clauses.append(Invitee.group_name == audience["group"])
    return Invitee, clauses


def _left_out(model, kind: MailingKind, audience: dict,
              mailing_id: int | None = None) -> list[tuple[str, object]]:
    """(reason, SQL condition) of the people left out, in the order they are checked."""
    if model is Registration and kind == MailingKind.SURVEY:
        return [("survey_answered", survey_answered_clause()),
                ("unsubscribed", Registration.unsubscribed_at.is_not(None))]
    if model is Registration:
        return [("unsubscribed", Registration.unsubscribed_at.is_not(None))]
    reasons = []
    if kind == MailingKind.REMINDER or not audience.get("include_answered"):
        reasons.append(("answered", answered_clause()))
    if audience["audience"] == "not_invited":
        reasons.append(("already_invited", _invited_before(mailing_id)))
    elif audience["audience"] == "not_answered":
        reasons.append(("not_invited", ~_invited_before(None)))
    return reasons + [("unsubscribed", Invitee.unsubscribed_at.is_not(None)),
                      ("bounced", Invitee.bounced_at.is_not(None))]


def audience_query(mailing: Mailing):
    """A select() of the people a mailing goes to now, by id."""
    event, kind, audience = mailing.event, mailing.kind, mailing.audience
    model, clauses = _base(event, kind, audience)
    excluded = [~condition for _reason, condition in _left_out(model, kind, audience,
                                                               mailing.id)]
    return select(model).where(*clauses, *excluded).order_by(model.id)


# --- counting --------------------------------------------------------------------------------

def _reason_counts(event: Event, kind: MailingKind, audience: dict) -> tuple[int, dict]:
    """(recipients, {reason: how many left out}) in one query."""
    model, clauses = _base(event, kind, audience)
    reasons = _left_out(model, kind, audience)
    reason = case(*[(condition, key) for key, condition in reasons], else_="")
    people = select(reason.label("reason")).where(*clauses).subquery()
    rows = db.session.execute(
        select(people.c.reason, func.count()).group_by(people.c.reason)).all()
    counts = dict.fromkeys((key for key, _condition in reasons), 0)
    recipients = 0
    for key, count in rows:
        if key:
            counts[key] = count
        else:
            recipients = count
    return recipients, counts


def count_audience(event: Event, kind: MailingKind, audience: dict) -> dict[str, int]:
    """{"recipients", "unsubscribed", "bounced", ...}: who would receive it, who is left out
    and why (a key per reason of LEFT_OUT_LABELS that applies to this audience)."""
    recipients, counts = _reason_counts(event, kind, audience)
    return {"recipients": recipients, "unsubscribed": 0, "bounced": 0, **counts}


@dataclass
class Breakdown:
    """What a mailing would do, shown before it is confirmed."""

    recipients: int
    #: (language code, how many)
    by_language: list[tuple[str, int]] = field(default_factory=list)
    #: (group name, "" for no group, how many); invitees only
    by_group: list[tuple[str, int]] = field(default_factory=list)
    #: (reason, how many) of the people left out, zeros included
    left_out: list[tuple[str, int]] = field(default_factory=list)
    #: the first SAMPLE_SIZE recipients, by name
    sample: list = field(default_factory=list)

    @property
    def left_out_total(self) -> int:
        return sum(count for _reason, count in self.left_out)


def audience_breakdown(event: Event, kind: MailingKind, audience: dict) -> Breakdown:
    """Who ``audience`` reaches now: counts per language and group, the people left out by
    reason, and the first recipients by name (four queries)."""
    recipients, counts = _reason_counts(event, kind, audience)
    model, clauses = _base(event, kind, audience)
    clauses = clauses + [~condition for _key, condition in _left_out(model, kind, audience)]
    languages = db.session.execute(
        select(model.language, func.count()).where(*clauses).group_by(model.language)
        .order_by(func.count().desc(), model.language)).all()
    groups = [] if model is Registration else db.session.execute(
        select(Invitee.group_name, func.count()).where(*clauses).group_by(Invitee.group_name)
        .order_by(func.count().desc(), Invitee.group_name)).all()
    order = (Invitee.name,) if model is Invitee else (Registration.sort_name,
                                                      Registration.given_name)
    sample = list(db.session.scalars(select(model).where(*clauses)
                                     .order_by(*order, model.id).limit(SAMPLE_SIZE)))
    return Breakdown(recipients=recipients,
                     by_language=[(language, count) for language, count in languages],
                     by_group=[(group, count) for group, count in groups],
                     left_out=list(counts.items()), sample=sample)


# --- answers cancel waiting invitations ------------------------------------------------------

def cancel_queued_invitations(invitee: Invitee, *, actor=None) -> int:
    """Mark ``invitee``'s invitation and reminder emails still waiting as not to be sent
    (FAILED, ``CANCELLED_ANSWERED``); the number cancelled. No commit: the caller's answer
    and the cancellation are one transaction."""
    ids = list(db.session.scalars(
        update(OutboxEmail)
        .where(OutboxEmail.invitee_id == invitee.id, OutboxEmail.status == OutboxStatus.QUEUED,
               OutboxEmail.template.in_(INVITING_TEMPLATES))
        .values(status=OutboxStatus.FAILED, last_error=CANCELLED_ANSWERED, next_attempt_at=None)
        .returning(OutboxEmail.id).execution_options(synchronize_session=False)))
    if ids:
        refresh_mail_state(invitee_ids=[invitee.id])
        record_action("invitee.cancel_queued_emails", invitee, user=actor, emails=sorted(ids))
        log.info("invitee %s answered: %d queued email(s) cancelled", invitee.id, len(ids))
    return len(ids)


def cancel_queued_invitations_to(event_id: int, address: str, *, actor=None) -> int:
    """``cancel_queued_invitations`` for every invitee of the event with this address: a
    registration under an invitee's address answers their invitation too. No commit."""
    invitees = db.session.scalars(select(Invitee).where(
        Invitee.event_id == event_id, Invitee.email == address)).all()
    return sum(cancel_queued_invitations(invitee, actor=actor) for invitee in invitees)


def is_cancelled(email: OutboxEmail) -> bool:
    """True for an email cancelled because its invitee answered."""
    return email.status == OutboxStatus.FAILED and email.last_error == CANCELLED_ANSWERED
