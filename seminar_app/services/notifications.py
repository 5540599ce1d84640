"""Who gets which email, and when.

One ``notify_<event>`` function per occasion. Each queues outbox rows through
``services.mail.compose.queue_email`` in the recipient's language and does not commit: it runs
inside
the calling service's transaction, and the emails leave after that commit. Templates are
``templates/emails/<event>_to_<recipient>.{txt,html}``.

An email may instead be rendered by the worker just before it is sent
(services.mail.deferred): the notification records what to say and registers a renderer under
its name. The confirmation of a new registration is such an email when ``register`` asks for
it (``notify_registration_created(..., deferred=True)``; ``_render_registration_created``).
"""

import logging

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import joinedload

from ..database import use_case
from ..extensions import db
from ..links import external_url
from ..models import Event, OutboxEmail, Registration, RegistrationStatus, TeamMember, User
from .audit import record_action
from .documents.calendar import calendar_filename, delegate_calendar
from .events.attendance import join_link
from .mail.compose import check_address, queue_email, render_email
from .mail.deferred import (
    ComposedEmail,
    DeferredEmail,
    NotRenderable,
    queue_deferred_email,
    renderer,
)
from .privacy.erasure_scrub import is_erased_address
from .registration.registration_labels import display_name, field_labels, role_label, status_label

log = logging.getLogger(__name__)


def notify_team_member_added(member: TeamMember) -> OutboxEmail:
    """Tell a staff account it was added to an event's team, with its rights and a link."""
    user, event = member.user, member.event
    return queue_email(
        template="team_member_added_to_staff",
        recipient=user.email,
        recipient_name=user.name,
        language=user.language,
        event_id=event.id,
        context={
            "user": user,
            "event": event,
            "can_manage": member.can_manage,
            "can_invite": member.can_invite or member.can_manage,
            "can_checkin": member.can_checkin or member.can_manage,
            "event_url": external_url("manage.event_overview", event_id=event.id),
        },
    )


@use_case
def send_test_email(*, to: str, user: User) -> OutboxEmail:
    """Queue a test message to ``to`` (an administrator's own address) and commit."""
    email = queue_email(
        template="test_message_to_staff",
        recipient=to,
        recipient_name=user.name,
        language=user.language,
        context={"user": user, "outbox_url": external_url("outbox.index")},
    )
    record_action("mail.send_test", email, user=user, to=to)
    log.info("test email %s queued for %s by user %s", email.id, to, user.id)
    return email



# --- delegates' registrations ----------------------------------------------------------------


def _delegate_email(registration, template: str, *, token: str | None = None,
                    attach_calendar: bool = False, status=None, **context) -> dict:
    """What ``registration_<template>_to_delegate`` is made of, for the delegate's language:
    the arguments of ``queue_email`` (``status``: the status the email tells, the
    registration's own by default)."""
    event = registration.event
    attachments = []
    if attach_calendar:  # with the join link for a confirmed online delegate (attendance)
        attachments.append({"filename": calendar_filename(event),
                            "data": delegate_calendar(event, join_link(registration)),
                            "content_type": "text/calendar"})
    return {
        "template": f"registration_{template}_to_delegate",
        "recipient": registration.email,
        "recipient_name": registration.full_name,
        "language": registration.language,
        "event_id": event.id,
        "attachments": attachments,
        "context": {
            "registration": registration,
            "event": event,
            "name": display_name(registration),
            "role": role_label(registration.delegation_role),
            "status": status_label(status or registration.status),
            "manage_url": external_url("registration.show", token=token) if token else "",
            "event_url": external_url("events.show", slug=event.slug),
            **context,
        },
    }


def _notify_delegate(registration, template: str, *, token: str | None = None,
                     attach_calendar: bool = False, replacing: OutboxEmail | None = None,
                     **context) -> OutboxEmail:
    """Queue ``registration_<template>_to_delegate`` in the delegate's language (or write it
    over the not yet committed email ``replacing``)."""
    return queue_email(**_delegate_email(registration, template, token=token,
                                         attach_calendar=attach_calendar, **context),
                       replacing=replacing)


#: the email telling a new registration's status (attached: the event's calendar)
_CREATED = {RegistrationStatus.CONFIRMED: ("confirmed", True),
            RegistrationStatus.PENDING: ("pending", False)}
_CREATED_OTHERWISE = ("waitlisted", False)


def notify_registration_created(registration, token: str, *, position=None,
                                replacing: OutboxEmail | None = None,
                                deferred: bool = False) -> OutboxEmail:
    """Tell a delegate their registration arrived: confirmed, pending or waitlisted.

    ``replacing``: the email queued for this registration earlier in the same transaction,
    rewritten for the status decided since (services.registration.registrations.register).
    ``deferred``: only record what to say (the registration, its token, its status now and
    its place on the waiting list); the worker renders it just before sending it
    (``_render_registration_created``), so the request that registers renders nothing."""
    status = RegistrationStatus(registration.status)
    template, attach_calendar = _CREATED.get(status, _CREATED_OTHERWISE)
    if deferred:
        return queue_deferred_email(
            notification="registration_created",
            data={"registration_id": registration.id, "token": token,
                  "status": status.value, "position": position},
            template=f"registration_{template}_to_delegate", recipient=registration.email,
            recipient_name=registration.full_name, language=registration.language,
            event_id=registration.event_id, replacing=replacing)
    extra = {"position": position} if template == "waitlisted" else {}
    return _notify_delegate(registration, template, token=token,
                            attach_calendar=attach_calendar, replacing=replacing, **extra)


#: stored reasons of a deferred registration email that is not sent (translated when shown:
#: services.mail.outbox_admin)
REGISTRATION_GONE_ERROR = "Not sent: the registration was erased or deleted before the email " \
    "was prepared"
REGISTRATION_HANDED_OVER_ERROR = "Not sent: the registration was handed to another person " \
    "before the email was prepared"


@renderer("registration_created")
def _render_registration_created(email: DeferredEmail) -> ComposedEmail:
    """The deferred email of ``notify_registration_created``, rendered by the worker: the
    registration as it is now (names, language, join link), the status and place on the
    waiting list recorded when it was queued, the same templates and calendar file."""
    data = email.data
    # one query for what the templates read: the event and its co-hosts (branding)
    registration = db.session.get(Registration, data["registration_id"], options=[
        joinedload(Registration.event).joinedload(Event.cohosts)])
    if registration is None or is_erased_address(registration.email):
        raise NotRenderable(REGISTRATION_GONE_ERROR)
    if check_address(registration.email) != email.recipient:
        raise NotRenderable(REGISTRATION_HANDED_OVER_ERROR)
    status = RegistrationStatus(data["status"])
    template, attach_calendar = _CREATED.get(status, _CREATED_OTHERWISE)
    extra = {"position": data.get("position")} if template == "waitlisted" else {}
    language = registration.language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):  # the labels (form of address, role, status) too
        values = _delegate_email(registration, template, token=data["token"],
                                 attach_calendar=attach_calendar, status=status, **extra)
    return ComposedEmail(
        template=values["template"], language=language,
        recipient_name=values["recipient_name"], attachments=values["attachments"],
        rendered=render_email(values["template"], language=language,
                              context=values["context"]))


def notify_registration_waitlisted(registration, *, position=None) -> OutboxEmail:
    """Tell a delegate they are on the waiting list (after an approval when full)."""
    return _notify_delegate(registration, "waitlisted", position=position)


def notify_registration_promoted(registration, token: str) -> OutboxEmail:
    """Tell a waitlisted delegate a place freed up and they are now confirmed."""
    return _notify_delegate(registration, "promoted", token=token, attach_calendar=True)


def notify_registration_approved(registration, token: str) -> OutboxEmail:
    """Tell a delegate an organizer approved (and so confirmed) their registration."""
    return _notify_delegate(registration, "approved", token=token, attach_calendar=True)


def notify_registration_rejected(registration) -> OutboxEmail:
    """Tell a delegate an organizer did not accept their registration, with the reason."""
    return _notify_delegate(registration, "rejected", reason=registration.decision_reason)


def notify_registration_cancelled(registration, *, by_staff: bool,
                                  by_head=None) -> OutboxEmail:
    """Tell a delegate their registration was cancelled (by them, by an organizer, or by the
    head of their delegation ``by_head``, a registration, who removed them)."""
    head_name = ""
    if by_head is not None:
        with force_locale(registration.language):
            head_name = display_name(by_head)
    return _notify_delegate(registration, "cancelled", by_staff=by_staff,
                            by_head=by_head is not None, head_name=head_name,
                            reason=registration.decision_reason)


def notify_registration_changed(registration, *, fields: list[str]) -> OutboxEmail:
    """Tell a delegate which details were changed through their personal link (no values, no
    link: whoever changed them may not be the delegate)."""
    with force_locale(registration.language):
        changed = field_labels(registration.event, fields)
    return _notify_delegate(registration, "changed", changed=changed)


def notify_registration_link(registration, token: str, *, position=None) -> OutboxEmail:
    """Send a delegate a fresh personal link to their registration (they lost theirs)."""
    return _notify_delegate(registration, "link", token=token, position=position)


def notify_delegation_registered(delegation, members) -> OutboxEmail:
    """Tell the head of a delegation what was registered: the status and every member."""
    head = members[0]
    event = delegation.event
    with force_locale(head.language):
        listed = [{"name": display_name(member), "role": role_label(member.delegation_role),
                   "email": member.email} for member in members]
        status = status_label(head.status)
    return queue_email(
        template="delegation_registered_to_head",
        recipient=head.email,
        recipient_name=head.full_name,
        language=head.language,
        event_id=event.id,
        context={"delegation": delegation, "event": event, "name": display_name(head),
                 "members": listed, "status": status},
    )


def notify_invitation_forwarded(invitee, registration) -> OutboxEmail:
    """Tell an invitee that their invitation was used to register another address (the
    registration waits for an organizer), so a misused link does not go unnoticed."""
    event = invitee.event
    return queue_email(
        template="invitation_forwarded_to_invitee",
        recipient=invitee.email,
        recipient_name=invitee.name,
        language=invitee.language,
        event_id=event.id,
        invitee_id=invitee.id,
        context={"event": event, "name": display_name(invitee),
                 "registered_name": registration.full_name, "registered_email": registration.email,
                 "contact_email": event.contact_email},
    )


# --- personal data (services.privacy.retention)
# ------------------------------------------------------

def notify_erasure_requested(registration) -> list[OutboxEmail]:
    """Tell the event's organizers (its owner and the team members with the manage right) that
    a delegate asked for their data to be erased; the email names the reference only."""
    from sqlalchemy import select

    event = registration.event
    team = db.session.scalars(select(User).join(TeamMember, TeamMember.user_id == User.id)
                              .where(TeamMember.event_id == event.id,
                                     TeamMember.can_manage.is_(True)))
    organizers = {user.id: user for user in (event.owner, *team) if user is not None
                  and user.active}
    return [queue_email(
        template="erasure_requested_to_organizer", recipient=user.email,
        recipient_name=user.name, language=user.language, event_id=event.id,
        context={"user": user, "event": event, "reference": registration.reference,
                 "registration_url": external_url("participants.registration_show",
                                                  event_id=event.id,
                                                  registration_id=registration.id)})
        for user in organizers.values()]


def notify_password_reset(user: User, *, token: str) -> OutboxEmail:
    """Send a staff account the link to choose a new password (valid one hour, single use)."""
    return queue_email(
        template="password_reset_to_staff",
        recipient=user.email,
        recipient_name=user.name,
        language=user.language,
        context={
            "user": user,
            "reset_url": external_url("auth.password_reset", token=token),
            "login_url": external_url("auth.login"),
        },
    )


# --- substitutions (services.registration.substitution) --------------------------------------

def notify_registration_substituted(registration, token: str, *,
                                    position: int | None = None) -> OutboxEmail:
    """Tell the person who takes over a registration that the place is now theirs: their
    confirmation (status, new reference) and their own personal link, in their language."""
    return _notify_delegate(registration, "substituted", token=token,
                            attach_calendar=registration.status == RegistrationStatus.CONFIRMED,
                            position=position)


def notify_registration_replaced(event, *, email: str, name: str, language: str,
                                 reference: str, replaced_by: str) -> OutboxEmail:
    """Tell the replaced person, at their former address, that another person now holds their
    registration (and that their personal link and badge no longer work)."""
    return queue_email(
        template="registration_substituted_to_replaced",
        recipient=email,
        recipient_name=name,
        language=language,
        event_id=event.id,
        context={"event": event, "name": name, "reference": reference,
                 "replaced_by": replaced_by,
                 "event_url": external_url("events.show", slug=event.slug),
                 "contact_email": event.contact_email},
    )


def notify_substitution_requested(substitution, organizers) -> list[OutboxEmail]:
    """Tell the event's organizers (``organizers``: users with the manage right) that a
    delegate asked to be replaced; the email names the reference only."""
    registration = substitution.registration
    event = registration.event
    return [queue_email(
        template="registration_substituted_request_to_organizer", recipient=user.email,
        recipient_name=user.name, language=user.language, event_id=event.id,
        context={"user": user, "event": event, "reference": registration.reference,
                 "registration_url": external_url("participants.registration_show",
                                                  event_id=event.id,
                                                  registration_id=registration.id)})
        for user in organizers]


def notify_substitution_refused(substitution) -> OutboxEmail:
    """Tell the delegate who asked to be replaced that the organizers refused, with their
    reason (no link: the delegate keeps the one they have)."""
    return _notify_delegate(substitution.registration, "substituted_request_refused",
                            reason=substitution.reason)


# --- confirming a promotion (services.registration.waitlist, .promotions) --------------------

def notify_registration_promoted_to_confirm(registration, token: str) -> OutboxEmail:
    """Tell a waitlisted delegate a place is theirs if they confirm by
    ``registration.promotion_expires_at`` (shown in the event's time zone), with their new
    personal link where they answer."""
    return _notify_delegate(registration, "promoted_confirm", token=token, attach_calendar=True,
                            confirm_by=registration.promotion_expires_at)


def notify_registration_promotion_reminder(registration, token: str) -> OutboxEmail:
    """Remind a promoted delegate, a day before the deadline, to confirm their place."""
    return _notify_delegate(registration, "promotion_reminder", token=token,
                            confirm_by=registration.promotion_expires_at)


def notify_registration_promotion_expired(registration) -> OutboxEmail:
    """Tell a promoted delegate who did not confirm in time that the place passed on."""
    return _notify_delegate(registration, "promotion_expired")


# --- accreditation of nominated delegations (services.registration.accreditation) -----------

def _nomination_member_rows(nomination) -> list[dict]:
    """Each member's name, role and decision, for the focal point (in the current locale)."""
    rows = []
    for member in nomination.members:
        if member.status == "withdrawn":
            continue
        registration = member.registration
        rows.append({"name": display_name(member), "role": role_label(member.role),
                     "decision": member.status, "reason": member.decision_reason,
                     "status": status_label(registration.status)
                     if registration is not None else ""})
    return rows


def _notify_focal_point(nomination, template: str, **context) -> OutboxEmail:
    """Queue ``template`` for a mission's focal point (the organisation invitee), in their
    language; the context has the event, their name and the event's contact besides."""
    invitee, event = nomination.invitee, nomination.event
    return queue_email(
        template=template, recipient=invitee.email, recipient_name=invitee.name,
        language=invitee.language, event_id=event.id, invitee_id=invitee.id,
        context={"event": event, "name": display_name(invitee),
                 "contact_email": event.contact_email, **context})


def notify_nomination_decisions(nomination, *, link: str, complete: bool) -> OutboxEmail:
    """Tell a mission's focal point, in their language, where each nominated member stands
    ("3 of 4 members accredited"), with their invitation link (``link``, /i/<token>)."""
    with force_locale(nomination.invitee.language):
        members = _nomination_member_rows(nomination)
    return _notify_focal_point(
        nomination, "nomination_decisions_to_focal_point", members=members,
        accredited=sum(m["decision"] == "accredited" for m in members), total=len(members),
        complete=complete, link=link)


def notify_nomination_returned(nomination, *, link: str) -> OutboxEmail:
    """Tell a mission's focal point, in their language, that the organizers returned the
    nomination, with the reason and their invitation link (``link``, /i/<token>)."""
    return _notify_focal_point(
        nomination, "nomination_returned_to_focal_point", reason=nomination.return_reason,
        link=link, deadline=nomination.event.nomination_deadline)


def notify_join_link_changed(registration) -> OutboxEmail:
    """Tell a confirmed delegate attending online, in their language, that the event's join
    link changed, with the new link (services.events.attendance.join_link decides who)."""
    return _notify_delegate(registration, "join_link_changed", join_url=join_link(registration))


# --- nominations submitted by missions (services.registration.nominations) -------------------

def notify_nomination_submitted(nomination) -> OutboxEmail:
    """Confirm to a mission's focal point, in the invitee's language, that their nomination
    reached the organizers, with the members listed (no link: theirs is in the invitation)."""
    with force_locale(nomination.invitee.language):
        members = [{"name": display_name(member), "role": role_label(member.role),
                    "email": member.email}
                   for member in nomination.members if member.status == "proposed"]
    return _notify_focal_point(nomination, "nomination_submitted_to_focal_point",
                               organisation=nomination.organisation, members=members)


def notify_nomination_submitted_to_organizers(nomination, organizers) -> list[OutboxEmail]:
    """Tell the event's organizers (users with the manage right) that a mission submitted
    its nomination; the email names the mission and the number of members only."""
    event = nomination.event
    count = sum(1 for member in nomination.members if member.status == "proposed")
    url = external_url("participants.accreditation_nomination", event_id=event.id,
                       nomination_id=nomination.id)
    return [queue_email(
        template="nomination_submitted_to_organizer", recipient=user.email,
        recipient_name=user.name, language=user.language, event_id=event.id,
        context={"user": user, "event": event, "organisation": nomination.organisation,
                 "count": count, "forwarded": nomination.forwarded, "url": url})
        for user in organizers]
