"""Mailings: invitations, reminders and announcements sent to many people at once.

Use cases: count an audience, create a mailing (quick: one row and a queued task), prepare it
in the worker (outbox rows in chunks), preview it for one person, send a test to oneself,
show its progress, retry its failures, and unsubscribe through the link in every email.

Rules:
- ``Mailing.send_key`` is the random key of the compose form and is unique: the same form
  submitted twice makes one mailing.
- The wording is frozen into ``Mailing.content`` when the mailing is created.
- ``prepare_mailing`` renders each language's layout ONCE (Jinja and Markdown) with numbered
  slots, then fills the slots per recipient with escaped values (see message_templates). Rows
  are inserted a chunk at a time with ON CONFLICT DO NOTHING on (mailing_id, recipient) and
  committed per chunk; the new ids go to ``send_emails`` in MAIL_BATCH_SIZE batches after each
  commit. Re-running it after a crash adds only the missing rows.
- Who receives a mailing, and who is left out and why, is decided in mailing_audiences
  (answered invitees, unsubscribed and bounced addresses). A mailing is created only once
  staff confirmed the breakdown they were shown: ``create_mailing(expected=)`` refuses when
  the number of recipients changed meanwhile (``AudienceChanged``).
- Emails cancelled because their invitee answered are not failures of the mailing (Progress
  counts them apart) and are never sent again.
- The unsubscribe link carries an HMAC of the person's id: nothing to store, nothing to
  enumerate.
- A mailing with ``scheduled_at`` is not prepared until the worker starts it
  (services.invitations.scheduling sets ``started_at``); ``prepare_mailing`` leaves a mailing
  that has not started alone, and the sweeper restarts only started ones.
"""

import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError

from ...database import analyze, get_by_id, transaction, use_case
from ...extensions import db
from ...models import (
    Event,
    Invitee,
    Mailing,
    MailingKind,
    OutboxEmail,
    OutboxStatus,
    Registration,
    User,
    utcnow,
)
from ..audit import record_action
from ..documents.calendar import calendar_filename, event_calendar
from ..errors import Conflict, NotFound, ServiceError
from ..mail.compose import (
    RenderedEmail,
    clean_attachments,
    external_url,
    insert_outbox_rows,
    outbox_row,
    queue_rendered_email,
    render_email,
)
from ..registration.certificates import download_token
from ..surveys.links import survey_url
from ..tasks import run_task_after_commit
from . import message_templates as wording
from .invitations import invitee_token
from .mailing_audiences import ANNOUNCEMENT_STATUSES as ANNOUNCEMENT_STATUSES  # for the API
from .mailing_audiences import AUDIENCES as AUDIENCES  # for the API
from .mailing_audiences import (
    CANCELLED_ANSWERED,
    audience_query,
    check_audience,
    count_audience,
)
from .scheduling import check_schedule

log = logging.getLogger(__name__)

#: outbox rows created (and committed) at a time by prepare_mailing
PREPARE_CHUNK = 500
#: the email template of each kind (invitations and reminders: mailing_audiences too)
TEMPLATES = {
    MailingKind.INVITATION: "mailing_invitation_to_invitee",
    MailingKind.REMINDER: "mailing_reminder_to_invitee",
    MailingKind.ANNOUNCEMENT: "mailing_announcement_to_delegate",
    MailingKind.SURVEY: "mailing_survey_to_delegate",
    MailingKind.CERTIFICATE: "mailing_certificate_to_delegate",
}
_SEND_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_UNSUBSCRIBE_TOKEN = re.compile(r"^([ir])(\d{1,12})\.([A-Za-z0-9_-]{22})$")


class AudienceChanged(ServiceError):
    """The recipients changed between the confirmation page and the confirmation."""


def parse_kind(value: str) -> MailingKind:
    """The MailingKind named ``value`` that can be sent (it has audiences); NotFound for
    anything else."""
    try:
        kind = MailingKind(value)
    except ValueError:
        kind = None
    if kind not in AUDIENCES:
        raise NotFound(_("There is no such kind of mailing."))
    return kind


# --- unsubscribe links -----------------------------------------------------------------------

def _mac(kind: str, person_id: int, event_id: int) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    digest = hmac.new(key, f"unsubscribe:{kind}:{person_id}:{event_id}".encode("ascii"),
                      hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def unsubscribe_token(person: Invitee | Registration) -> str:
    """The token of ``person``'s unsubscribe link: kind, id and an HMAC of both."""
    kind = "i" if isinstance(person, Invitee) else "r"
    return f"{kind}{person.id}.{_mac(kind, person.id, person.event_id)}"


def get_unsubscribe_target(token: str) -> Invitee | Registration:
    """The invitee or registration an unsubscribe token belongs to; NotFound otherwise."""
    match = _UNSUBSCRIBE_TOKEN.match(token or "")
    person = None
    if match:
        kind, person_id, mac = match.groups()
        person = get_by_id(Invitee if kind == "i" else Registration, person_id)
        if person is not None and not hmac.compare_digest(
                mac, _mac(kind, person.id, person.event_id)):
            person = None
    if person is None:
        raise NotFound(_("This unsubscribe link is not valid."))
    return person


@use_case
def unsubscribe(token: str) -> Invitee | Registration:
    """Stop bulk emails to the owner of ``token`` (idempotent) and commit."""
    person = get_unsubscribe_target(token)
    if person.unsubscribed_at is None:
        person.unsubscribed_at = utcnow()
        record_action(f"{person.__tablename__[:-1]}.unsubscribe", person, email=person.email)
        log.info("%s %s unsubscribed", person.__tablename__, person.id)
    return person


# --- rendering -------------------------------------------------------------------------------

def _styled(html: str) -> str:
    """Inline styles on the tags of rendered Markdown (email clients ignore style sheets)."""
    return (html.replace("<p>", '<p style="margin:0 0 16px 0;">')
            .replace("<a ", '<a style="color:#0b3d66;" ')
            .replace("<blockquote>",
                     '<blockquote style="margin:0 0 16px 0;padding-left:12px;'
                     'border-left:3px solid #d1d5db;">'))


class MailingRenderer:
    """Renders one mailing for many recipients: the layout once per language, then slots."""

    def __init__(self, event: Event, kind: MailingKind, content: dict, *,
                 attach_calendar: bool = False):
        self.event, self.kind, self.content = event, kind, content
        self.template = TEMPLATES[kind]
        self._layouts: dict[str, RenderedEmail] = {}
        self._event_values: dict[str, dict] = {}
        self.attachments = []
        if attach_calendar:
            self.attachments = clean_attachments([{
                "filename": calendar_filename(event), "data": event_calendar(event),
                "content_type": "text/calendar"}])

    def language_of(self, person) -> str:
        language = getattr(person, "language", "") or ""
        return language if language in wording.LANGUAGES else wording.LANGUAGES[0]

    def _layout(self, language: str) -> RenderedEmail:
        if language not in self._layouts:
            body = self.content.get(language) or self.content.get("en") or {}
            slotted = wording.slotted_body(body.get("body", ""), self.kind)
            uses_rsvp = "rsvp_link" in wording.ALLOWED[self.kind]
            rendered = render_email(self.template, language=language, context={
                "event": self.event,
                "body_text": slotted.text,
                "body_html": Markup(_styled(slotted.html)),  # noqa: S704 - sanitized Markdown
                "rsvp_url": wording.slot("rsvp_link") if uses_rsvp else "",
                "survey_url": (wording.slot("survey_link")
                               if "survey_link" in wording.ALLOWED[self.kind] else ""),
                "certificate_url": (wording.slot("certificate_link")
                                    if "certificate_link" in wording.ALLOWED[self.kind] else ""),
                "unsubscribe_url": wording.slot("unsubscribe_link"),
            })
            self._layouts[language] = rendered
            self._event_values[language] = wording.event_values(self.event, language)
        return self._layouts[language]

    def values(self, person, language: str, *, unsubscribe_url: str | None = None,
               sample: bool = False) -> dict:
        """Every placeholder's value for ``person`` in ``language``. ``sample``: for a
        preview or a test email seen by staff, whose survey link opens the survey's staff page
        (a delegate's own link would let staff answer in their name, once and for good)."""
        self._layout(language)
        values = {**self._event_values[language], **wording.person_values(person, language)}
        if isinstance(person, Invitee) and "rsvp_link" in wording.ALLOWED[self.kind]:
            values["rsvp_link"] = external_url("rsvp.show", token=invitee_token(person))
        if isinstance(person, Registration) and "survey_link" in wording.ALLOWED[self.kind]:
            values["survey_link"] = (external_url("surveys.survey_edit", event_id=self.event.id)
                                     if sample else survey_url(person))
        if isinstance(person, Registration) and "certificate_link" in wording.ALLOWED[self.kind]:
            values["certificate_link"] = external_url(
                "documents.certificate_download", token=download_token(person))
        values["unsubscribe_link"] = (unsubscribe_url if unsubscribe_url is not None else
                                      external_url("rsvp.unsubscribe",
                                                   token=unsubscribe_token(person)))
        return values

    def render(self, person, *, language: str | None = None, unsubscribe_url: str | None = None,
               sample: bool = False) -> tuple[RenderedEmail, dict]:
        """(the email for ``person``, the placeholder values used); ``sample``: see values."""
        language = language or self.language_of(person)
        layout = self._layout(language)
        values = self.values(person, language, unsubscribe_url=unsubscribe_url, sample=sample)
        body = self.content.get(language) or self.content.get("en") or {}
        subject = wording.substitute(body.get("subject", ""), values)
        return RenderedEmail(
            subject=subject,
            text=wording.fill_slots(layout.text, values, escape=False),
            html=wording.fill_slots(layout.html, values, escape=True),
        ), values

    def outbox_row(self, person, mailing: Mailing, now) -> dict | None:
        """The outbox row of ``mailing`` for ``person``; None for an unusable address."""
        rendered, values = self.render(person)
        unsubscribe_url = values["unsubscribe_link"]
        try:
            return self._row(person, mailing, now, rendered, unsubscribe_url)
        except ValueError as error:
            log.warning("mailing %s: %s skipped: %s", mailing.id, person.email, error)
            return None

    def _row(self, person, mailing, now, rendered, unsubscribe_url) -> dict:
        return outbox_row(
            template=self.template, recipient=person.email, recipient_name=person.full_name,
            language=self.language_of(person), rendered=rendered, event_id=self.event.id,
            attachments=self.attachments, mailing_id=mailing.id,
            invitee_id=person.id if isinstance(person, Invitee) else None, now=now,
            headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )


def _renderer(mailing: Mailing) -> MailingRenderer:
    return MailingRenderer(mailing.event, mailing.kind, mailing.content,
                           attach_calendar=mailing.attach_calendar)


# --- use cases -------------------------------------------------------------------------------

def _sent_before(event: Event, send_key: str) -> Mailing | None:
    """The mailing made with ``send_key`` already, if any (another event's: Conflict)."""
    if not _SEND_KEY.match(send_key or ""):
        raise ServiceError(_("This form has expired. Please open it again."))
    existing = db.session.scalar(select(Mailing).where(Mailing.send_key == send_key))
    if existing is not None and existing.event_id != event.id:
        raise Conflict(_("This form has expired. Please open it again."))
    return existing


@use_case
def create_mailing(event: Event, kind: MailingKind, data: dict, *, send_key: str,
                   attach_calendar: bool = False, actor: User | None = None,
                   expected: int | None = None, scheduled_at: datetime | None = None,
                   content: dict | None = None,
                   automatic: str = "") -> tuple[Mailing, bool]:
    """Create a mailing and queue its preparation; (mailing, created). Commits.

    The same ``send_key`` again returns the mailing made the first time (created False).
    ``expected``: the number of recipients staff confirmed; AudienceChanged when it differs.
    ``scheduled_at``: start it then instead (services.invitations.scheduling); its audience
    is evaluated at that time, so it may have nobody yet. ``content``: the wording (default:
    the event's wording of ``kind``). ``automatic``: which automatic email made it.
    """
    existing = _sent_before(event, send_key)
    if existing is not None:
        return existing, False
    if scheduled_at is not None:
        scheduled_at = check_schedule(event, scheduled_at)
    audience = check_audience(event, kind, data)
    counts = count_audience(event, kind, audience)
    if counts["recipients"] == 0 and scheduled_at is None:
        raise ServiceError(_("Nobody would receive this mailing."), field="audience")
    if expected is not None and expected != counts["recipients"]:
        raise AudienceChanged(_("The recipients changed since you checked them: the mailing "
                                "would now go to %(num)d. Please check again.",
                                num=counts["recipients"]), field="audience")
    mailing = Mailing(event_id=event.id, kind=kind, audience=audience,
                      content=content or wording.template_content(event, kind),
                      attach_calendar=attach_calendar, send_key=send_key,
                      recipient_count=counts["recipients"], scheduled_at=scheduled_at,
                      started_at=None if scheduled_at else utcnow(), automatic=automatic,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(mailing)
    try:
        db.session.flush()
    except IntegrityError:  # the same send_key committed meanwhile: read theirs
        db.session.rollback()
        existing = db.session.scalar(select(Mailing).where(Mailing.send_key == send_key))
        if existing is None or existing.event_id != event.id:
            raise
        return existing, False
    record_action("mailing.create", mailing, user=actor, kind=kind.value, audience=audience,
                  recipients=counts["recipients"], automatic=automatic,
                  scheduled_at=scheduled_at.isoformat() if scheduled_at else None)
    if scheduled_at is None:  # a scheduled one: the worker starts it (scheduling)
        run_task_after_commit("prepare_mailing", mailing.id)
    log.info("mailing %s (%s, %d recipients) created for event %s", mailing.id, kind.value,
             counts["recipients"], event.id)
    return mailing, True


def prepare_mailing(mailing_id: int, *, chunk_size: int | None = None) -> int:
    """Create the outbox rows of a mailing, a chunk per commit; the number of rows added.

    Safe to run again (after a crash, or twice at once): existing rows are skipped.
    """
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.prepared_at is not None or mailing.started_at is None:
        return 0  # gone, done, or scheduled and not started yet
    chunk_size = chunk_size or PREPARE_CHUNK
    renderer = _renderer(mailing)
    done = set(db.session.scalars(
        select(OutboxEmail.recipient).where(OutboxEmail.mailing_id == mailing.id)))
    query, last_id, added = audience_query(mailing), 0, 0
    model = query.column_descriptions[0]["entity"]
    while True:
        with transaction():  # one chunk: its ids go to send_emails at the commit
            people = list(db.session.scalars(query.where(model.id > last_id).limit(chunk_size)))
            if not people:
                break
            last_id = people[-1].id
            now, rows = utcnow(), []
            for person in people:
                if person.email in done:
                    continue
                row = renderer.outbox_row(person, mailing, now)
                if row is not None:
                    rows.append(row)
            ids = insert_outbox_rows(rows)
            done.update(row["recipient"] for row in rows)
            added += len(ids)
    with transaction():
        mailing = db.session.get(Mailing, mailing_id)
        mailing.prepared_at = utcnow()
        analyze("outbox_emails", "invitees", rows=added)
    log.info("mailing %s prepared: %d email(s) added", mailing_id, added)
    return added


def stalled_mailing_ids() -> list[int]:
    """Mailings still not prepared long after they started (their worker stopped)."""
    after = int(current_app.config.get("MAIL_STUCK_AFTER_SECONDS", 600))
    return list(db.session.scalars(select(Mailing.id).where(
        Mailing.prepared_at.is_(None), Mailing.started_at < utcnow() - timedelta(seconds=after))))


def get_mailing(event: Event, mailing_id: int) -> Mailing:
    """Mailing ``mailing_id`` of ``event``; NotFound for another event's."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.event_id != event.id:
        raise NotFound(_("This mailing does not exist."))
    return mailing


def event_mailings(event: Event) -> list[Mailing]:
    """The event's mailings, newest first."""
    return list(db.session.scalars(select(Mailing).where(Mailing.event_id == event.id)
                                   .order_by(Mailing.created_at.desc(), Mailing.id.desc())))


@dataclass(frozen=True)
class Progress:
    """Where a mailing's emails are."""

    total: int
    sent: int
    queued: int
    failed: int
    prepared: bool
    #: not sent because the invitee answered meanwhile (not a failure)
    cancelled: int = 0

    @property
    def done(self) -> bool:
        return self.prepared and self.queued == 0

    def percent(self, count: int) -> int:
        return round(100 * count / self.total) if self.total else 0


def progress_of(mailings: list[Mailing]) -> dict[int, Progress]:
    """The progress of each mailing, by id (one query)."""
    ids = [mailing.id for mailing in mailings]
    counts: dict[int, dict[str, int]] = {mailing_id: {} for mailing_id in ids}
    if ids:
        cancelled = case((_cancelled(), 1), else_=0)
        rows = db.session.execute(
            select(OutboxEmail.mailing_id, OutboxEmail.status, cancelled,
                   func.count(OutboxEmail.id))
            .where(OutboxEmail.mailing_id.in_(ids))
            .group_by(OutboxEmail.mailing_id, OutboxEmail.status, cancelled))
        for mailing_id, status, is_cancelled, count in rows:
            key = "cancelled" if is_cancelled else OutboxStatus(status).value
            counts[mailing_id][key] = counts[mailing_id].get(key, 0) + count
    result = {}
    for mailing in mailings:
        by_status = counts[mailing.id]
        rows_total = sum(by_status.values())
        prepared = mailing.prepared_at is not None
        queued = by_status.get("queued", 0) + by_status.get("sending", 0)
        total = rows_total if prepared else max(mailing.recipient_count, rows_total)
        if not prepared:
            queued += total - rows_total  # not yet rendered: waiting too
        result[mailing.id] = Progress(total=total, sent=by_status.get("sent", 0),
                                      queued=queued, failed=by_status.get("failed", 0),
                                      prepared=prepared,
                                      cancelled=by_status.get("cancelled", 0))
    return result


def _cancelled():
    return and_(OutboxEmail.status == OutboxStatus.FAILED,
                OutboxEmail.last_error == CANCELLED_ANSWERED)


def failed_emails(mailing: Mailing, *, limit: int = 200) -> list[OutboxEmail]:
    """The mailing's failed emails (the first ``limit``), with the server's answers; emails
    cancelled because their invitee answered are not failures."""
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.mailing_id == mailing.id,
                                  OutboxEmail.status == OutboxStatus.FAILED, ~_cancelled())
        .order_by(OutboxEmail.id).limit(limit)))


def shown_subjects(mailing: Mailing) -> list[tuple[str, str]]:
    """(language, subject) of a mailing for staff pages: the event's placeholders filled in,
    the recipient's own ones shown as their description, e.g. "[the recipient's name]"."""
    described = {name: f"[{help_text}]" for name, help_text in wording.PLACEHOLDER_HELP.items()}
    result = []
    for language, item in (mailing.content or {}).items():
        values = dict(described)
        if language in wording.LANGUAGES:
            values.update(wording.event_values(mailing.event, language))
        result.append((language, wording.substitute(item.get("subject", ""), values)))
    return result


# --- preview and test ------------------------------------------------------------------------

def preview_people(event: Event, kind: MailingKind, *, limit: int = 500) -> list:
    """Whom a preview can be shown for: invitees, or delegates for announcements."""
    model = Invitee if kind in (MailingKind.INVITATION, MailingKind.REMINDER) else Registration
    order = (Registration.sort_name, Registration.given_name) if model is Registration \
        else (Invitee.name,)
    return list(db.session.scalars(select(model).where(model.event_id == event.id)
                                   .order_by(*order, model.id).limit(limit)))


def get_preview_person(event: Event, kind: MailingKind, person_id: int):
    """The invitee (or registration, for announcements) ``person_id`` of ``event``."""
    model = Invitee if kind in (MailingKind.INVITATION, MailingKind.REMINDER) else Registration
    person = db.session.get(model, person_id)
    if person is None or person.event_id != event.id:
        raise NotFound(_("Choose a person of this event."), field="person")
    return person


def preview(event: Event, kind: MailingKind, person) -> RenderedEmail:
    """The email of ``kind`` as ``person`` would get it now, in their language."""
    renderer = MailingRenderer(event, kind, wording.template_content(event, kind))
    return renderer.render(person, sample=True)[0]


@use_case
def send_test(event: Event, kind: MailingKind, person, *, actor: User):
    """Queue the email of ``kind`` for ``person`` to ``actor``'s own address; commits.

    Marked as a test in the subject; belongs to no mailing; its unsubscribe link is inert.
    """
    renderer = MailingRenderer(event, kind, wording.template_content(event, kind),
                               attach_calendar=kind == MailingKind.INVITATION)
    language = renderer.language_of(person)
    rendered, _values = renderer.render(person, unsubscribe_url="#", sample=True)
    with force_locale(language):
        subject = _("[Test] %(subject)s", subject=rendered.subject)
    email = queue_rendered_email(
        template=renderer.template, recipient=actor.email, recipient_name=actor.name,
        language=language, event_id=event.id, attachments=renderer.attachments,
        rendered=RenderedEmail(subject=subject, text=rendered.text, html=rendered.html))
    record_action("mailing.send_test", event, user=actor, kind=kind.value,
                  person=f"{person.__tablename__}:{person.id}")
    return email
