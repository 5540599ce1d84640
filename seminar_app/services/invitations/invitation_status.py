"""Where each invitee stands: their status, the time of each step, and the event's funnel.

An invitee's status is derived, never stored: from their answer, their unsubscribe and bounce
marks, and the outbox rows of the invitation and reminder mailings sent to them
(``OutboxEmail.invitee_id``). The rule is written once, as a SQL expression
(``status_expression``), so that the list can filter and count by status in the database; the
detail page and the list ask the same expression for the invitees they show.

Precedence, strongest first: accepted > declined > unsubscribed > bounced > failed > sent >
queued (queued or being sent) > not sent. "Bounced" is a bounce recorded on the invitee, or an
invitation email refused for good with a 5xx answer; "failed" is any other failure.
"""

import enum
import logging
from dataclasses import dataclass, fields
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, type_coerce

from ...extensions import db
from ...i18n import is_country_code
from ...models import (
    Event,
    InvitationResponse,
    Invitee,
    Mailing,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    ResponseChannel,
    UTCDateTime,
)
from .mail_state import INVITING_KINDS
from .mailing_audiences import CANCELLED_ANSWERED

log = logging.getLogger(__name__)


class InviteeStatus(enum.StrEnum):
    """An invitee's status, as the list shows it."""

    NOT_SENT = "not_sent"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    UNSUBSCRIBED = "unsubscribed"


STATUS_LABELS = {
    InviteeStatus.NOT_SENT: _l("Not sent"),
    InviteeStatus.QUEUED: _l("Queued"),
    InviteeStatus.SENT: _l("Sent"),
    InviteeStatus.FAILED: _l("Failed"),
    InviteeStatus.BOUNCED: _l("Bounced"),
    InviteeStatus.ACCEPTED: _l("Accepted (registered)"),
    InviteeStatus.DECLINED: _l("Declined"),
    InviteeStatus.UNSUBSCRIBED: _l("Unsubscribed"),
}
#: Bootstrap colour of each status badge
STATUS_COLOURS = {
    InviteeStatus.NOT_SENT: "secondary",
    InviteeStatus.QUEUED: "info",
    InviteeStatus.SENT: "primary",
    InviteeStatus.FAILED: "danger",
    InviteeStatus.BOUNCED: "danger",
    InviteeStatus.ACCEPTED: "success",
    InviteeStatus.DECLINED: "dark",
    InviteeStatus.UNSUBSCRIBED: "warning",
}
#: the order of the summary: the way through the invitation, then the ways out
STATUS_ORDER = (
    InviteeStatus.NOT_SENT, InviteeStatus.QUEUED, InviteeStatus.SENT, InviteeStatus.ACCEPTED,
    InviteeStatus.DECLINED, InviteeStatus.FAILED, InviteeStatus.BOUNCED,
    InviteeStatus.UNSUBSCRIBED,
)
#: registrations that no longer count as "registered"
_GONE = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)


# --- the rule, in SQL ------------------------------------------------------------------------

def status_expression():
    """A SQL CASE giving each invitee's InviteeStatus value, from the invitee's row alone (the
    answer, unsubscribing, a recorded bounce, then the stored ``mail_state``): no search of
    the outbox, so lists and counts cost the same with or without planner statistics."""
    return case(
        (Invitee.response == InvitationResponse.ACCEPTED, InviteeStatus.ACCEPTED.value),
        (Invitee.response == InvitationResponse.DECLINED, InviteeStatus.DECLINED.value),
        (Invitee.unsubscribed_at.is_not(None), InviteeStatus.UNSUBSCRIBED.value),
        (Invitee.bounced_at.is_not(None), InviteeStatus.BOUNCED.value),
        else_=Invitee.mail_state,
    )


def where_status(query, status: InviteeStatus):
    """``query`` (a select over Invitee) narrowed to invitees with ``status``, in SQL."""
    return query.where(status_expression() == status.value)


# --- statuses and times of shown invitees ----------------------------------------------------

@dataclass
class InviteeProgress:
    """An invitee's status and the time of each step (None: not reached)."""

    status: InviteeStatus
    first_queued_at: datetime | None = None
    first_sent_at: datetime | None = None
    last_failed_at: datetime | None = None
    responded_at: datetime | None = None
    registered_at: datetime | None = None
    checked_in_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    bounced_at: datetime | None = None
    #: the day of an answer recorded by staff (a date without a time); None otherwise
    answered_on: date | None = None

    @property
    def answer_is_date_only(self) -> bool:
        """True when the answer's time is unknown: show ``answered_on``, not a time."""
        return self.answered_on is not None and self.responded_at is not None

    @property
    def status_time_is_date(self) -> bool:
        """True when ``status_time`` is a recorded answer's day: show it without a time."""
        return self.answer_is_date_only and self.status in (InviteeStatus.ACCEPTED,
                                                            InviteeStatus.DECLINED)

    @property
    def status_time(self) -> datetime | None:
        """When the invitee reached their current status."""
        return {
            InviteeStatus.QUEUED: self.first_queued_at,
            InviteeStatus.SENT: self.first_sent_at,
            InviteeStatus.FAILED: self.last_failed_at,
            InviteeStatus.BOUNCED: self.bounced_at or self.last_failed_at,
            InviteeStatus.ACCEPTED: self.responded_at or self.registered_at,
            InviteeStatus.DECLINED: self.responded_at,
            InviteeStatus.UNSUBSCRIBED: self.unsubscribed_at,
        }.get(self.status)


def progress_of(invitees: list[Invitee]) -> dict[int, InviteeProgress]:
    """invitee id -> InviteeProgress, in three queries whatever the number of invitees."""
    ids = [invitee.id for invitee in invitees]
    if not ids:
        return {}
    statuses = dict(db.session.execute(
        select(Invitee.id, status_expression()).where(Invitee.id.in_(ids))
    ).all())
    times = {
        row.invitee_id: row for row in db.session.execute(
            select(
                OutboxEmail.invitee_id,
                func.min(OutboxEmail.created_at).label("first_queued_at"),
                func.min(OutboxEmail.sent_at).label("first_sent_at"),
                type_coerce(func.max(case((
                    and_(OutboxEmail.status == OutboxStatus.FAILED,
                         OutboxEmail.last_error != CANCELLED_ANSWERED),
                    func.coalesce(OutboxEmail.claimed_at, OutboxEmail.created_at)))),
                    UTCDateTime).label("last_failed_at"),
            )
            .join(Mailing, Mailing.id == OutboxEmail.mailing_id)
            .where(OutboxEmail.invitee_id.in_(ids), Mailing.kind.in_(INVITING_KINDS))
            .group_by(OutboxEmail.invitee_id)
        )
    }
    registration_ids = [i.registration_id for i in invitees if i.registration_id is not None]
    registrations = {
        row.id: row for row in db.session.execute(
            select(Registration.id, Registration.created_at, Registration.checked_in_at)
            .where(Registration.id.in_(registration_ids))
        )
    } if registration_ids else {}
    result = {}
    for invitee in invitees:
        emails = times.get(invitee.id)
        registration = registrations.get(invitee.registration_id)
        result[invitee.id] = InviteeProgress(
            status=InviteeStatus(statuses.get(invitee.id, InviteeStatus.NOT_SENT.value)),
            first_queued_at=emails.first_queued_at if emails else None,
            first_sent_at=emails.first_sent_at if emails else None,
            last_failed_at=emails.last_failed_at if emails else None,
            responded_at=invitee.responded_at,
            registered_at=registration.created_at if registration else None,
            checked_in_at=registration.checked_in_at if registration else None,
            unsubscribed_at=invitee.unsubscribed_at,
            bounced_at=invitee.bounced_at,
            answered_on=_answered_on(invitee),
        )
    return result


def _answered_on(invitee: Invitee) -> date | None:
    """The recorded day of a staff-recorded answer (an online answer since has a time)."""
    if invitee.response_channel in (None, ResponseChannel.ONLINE):
        return None
    return invitee.answered_on


def invitee_progress(invitee: Invitee) -> InviteeProgress:
    """One invitee's status and the time of each step."""
    return progress_of([invitee])[invitee.id]


# --- the event's numbers ---------------------------------------------------------------------

def status_counts(event: Event) -> dict[InviteeStatus, int]:
    """How many of the event's invitees are in each status (every status, zeros included)."""
    return invitation_numbers(event).counts


@dataclass(frozen=True)
class Funnel:
    """invited -> sent -> responded -> registered -> checked in; no step exceeds the one
    before (see ``funnel``)."""

    invited: int = 0
    sent: int = 0
    responded: int = 0
    registered: int = 0
    checked_in: int = 0
    #: of ``sent``: invitees who answered (or registered) without an invitation email sent to
    #: them, e.g. after a note verbale or a phone call
    answered_without_email: int = 0

    def steps(self) -> list[tuple[str, str, int]]:
        """(key, translated label, count) in the funnel's order."""
        return [
            ("invited", str(_l("Invited")), self.invited),
            ("sent", str(_l("Invitation sent")), self.sent),
            ("responded", str(_l("Responded")), self.responded),
            ("registered", str(_l("Registered")), self.registered),
            ("checked_in", str(_l("Checked in")), self.checked_in),
        ]


@dataclass(frozen=True)
class InvitationNumbers:
    """The event's funnel and how many invitees are in each status (``invitation_numbers``)."""

    funnel: Funnel
    counts: dict[InviteeStatus, int]


def invitation_numbers(event: Event) -> InvitationNumbers:
    """The event's invitation funnel and its status counts, in one query (one pass over the
    event's invitees, whatever the planner knows of the table).

    Each funnel step counts the invitees who reached it or a later one, so that no step
    exceeds the one before: invited = invitees; registered = their registration exists and is
    neither cancelled nor rejected; responded = accepted or declined, or registered; sent = an
    invitation or reminder email was SENT to them, or they responded anyway (counted apart
    too, as ``answered_without_email``); checked in = registered and checked in. The status
    counts use ``status_expression``, every status present (zeros included).
    """
    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    registered = and_(Registration.id.is_not(None), Registration.status.not_in(_GONE))
    responded = or_(Invitee.response.in_((InvitationResponse.ACCEPTED,
                                          InvitationResponse.DECLINED)), registered)
    emailed = Invitee.mail_sent.is_(True)
    status = status_expression().label("status")
    # one row per status (at most eight): each invitee's status is worked out once
    rows = db.session.execute(
        select(
            status,
            func.count(Invitee.id),
            counted(or_(emailed, responded)),
            counted(responded),
            counted(registered),
            counted(and_(registered, Registration.checked_in_at.is_not(None))),
            counted(and_(responded, ~emailed)),
        )
        .select_from(Invitee)
        .outerjoin(Registration, Registration.id == Invitee.registration_id)
        .where(Invitee.event_id == event.id)
        .group_by(status)
    ).all()
    counts = dict.fromkeys(STATUS_ORDER, 0)
    steps = [0] * len(fields(Funnel))
    for value, *numbers in rows:
        counts[InviteeStatus(value)] = int(numbers[0])
        steps = [total + int(number or 0) for total, number in zip(steps, numbers, strict=True)]
    return InvitationNumbers(funnel=Funnel(*steps), counts=counts)


def funnel(event: Event) -> Funnel:
    """The event's invitation funnel (``invitation_numbers``)."""
    return invitation_numbers(event).funnel


# --- the list --------------------------------------------------------------------------------

MAX_QUERY_LENGTH = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class InviteeFilters:
    """The list's filters, already checked (values that make no sense are dropped)."""

    q: str = ""
    group: str = ""
    country: str = ""
    status: InviteeStatus | None = None

    @classmethod
    def from_args(cls, args) -> "InviteeFilters":
        def text(name: str, limit: int) -> str:
            value = args.get(name) or ""
            value = "".join(ch for ch in value if ch.isprintable() or ch.isspace())
            return " ".join(value.split())[:limit]

        status = args.get("status") or ""
        country = text("country", 10).upper()
        return cls(
            q=text("q", MAX_QUERY_LENGTH),
            group=text("group", 100),
            country=country if is_country_code(country) and len(country) == 2 else "",
            status=InviteeStatus(status) if status in InviteeStatus._value2member_map_ else None,
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments (empty ones left out), for links and pages."""
        values = {"q": self.q, "group": self.group, "country": self.country,
                  "status": self.status.value if self.status else ""}
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.query_args())

    def total_from(self, counts: dict[InviteeStatus, int]) -> int | None:
        """How many invitees match, read from the event's status ``counts`` when only the
        status is filtered (or nothing); None when the list must be counted."""
        if self.q or self.group or self.country:
            return None
        return counts[self.status] if self.status is not None else sum(counts.values())


def invitees_query(event: Event, filters: InviteeFilters):
    """A select() of the event's invitees matching ``filters``, by name (filtered in SQL)."""
    query = select(Invitee).where(Invitee.event_id == event.id)
    if filters.q:
        pattern = f"%{_escape_like(filters.q)}%"
        query = query.where(or_(Invitee.name.ilike(pattern, escape="\\"),
                                Invitee.email.ilike(pattern, escape="\\"),
                                Invitee.organisation.ilike(pattern, escape="\\")))
    if filters.group:
        query = query.where(Invitee.group_name == filters.group)
    if filters.country:
        query = query.where(Invitee.country == filters.country)
    if filters.status is not None:
        query = where_status(query, filters.status)
    return query.order_by(func.lower(Invitee.name), Invitee.id)


def invitees_page(event: Event, filters: InviteeFilters, *, page: int, per_page: int,
                  total: int | None = None):
    """One page of ``invitees_query`` (a Flask-SQLAlchemy pagination; out-of-range pages are
    empty). The page's ids are sorted and cut first, then its rows read: sorting the event's
    whole rows to keep 50 cost PostgreSQL three times as much when its planner, without
    statistics, sorts instead of reading the name index. ``total``: the number of matching
    invitees when already known (``InviteeFilters.total_from``), else it is counted."""
    pagination = db.paginate(invitees_query(event, filters).with_only_columns(Invitee.id),
                             page=page, per_page=per_page, max_per_page=per_page,
                             error_out=False, count=total is None)
    if total is not None:
        pagination.total = total
    rows = {invitee.id: invitee for invitee in db.session.scalars(
        select(Invitee).where(Invitee.id.in_(pagination.items)))} if pagination.items else {}
    pagination.items = [rows[row_id] for row_id in pagination.items if row_id in rows]
    return pagination


def list_choices(event: Event) -> tuple[list[str], list[str]]:
    """The country codes and the group names (sorted) of the event's invitees: what the
    list's filters offer, in one pass over the event's invitees."""
    countries, groups = set(), set()
    for country, group in db.session.execute(
            select(Invitee.country, Invitee.group_name).where(Invitee.event_id == event.id)
            .group_by(Invitee.country, Invitee.group_name)):
        countries.add(country)
        groups.add(group)
    countries.discard("")
    groups.discard("")
    return sorted(countries), sorted(groups, key=str.casefold)
