"""The numbers of the dashboards: one event's, and every event a staff member may see.

Counting rules (the report uses the same ones):
- "registrations over time" counts every registration received (whatever its status now) on
  the day it was made, in the event's time zone, and adds the days up;
- delegates by country, role and organisation type are CONFIRMED registrations;
- the check-in rate of a day is the confirmed delegates first checked in on that day (in the
  event's zone) divided by all confirmed delegates; a check-in is counted once, on its first
  scan (``Registration.checked_in_at``);
- the invitation response rate is (accepted + declined) / invitees;
- the feedback survey's results follow services.surveys.results.

Each function runs a fixed number of queries, whatever the number of registrations: counts are
grouped in the database; the times of registration and check-in are read as one column each
and put into days in Python (a day in a zone such as Asia/Kathmandu does not start on a UTC
hour, so SQL cannot group them portably).
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from ...extensions import db
from ...i18n import current_language
from ...models import (
    DelegationRole,
    Event,
    InvitationResponse,
    Invitee,
    OrganisationType,
    Registration,
    RegistrationStatus,
    User,
    utcnow,
)
from ..access import visible_events_query
from ..events.attendance import HYBRID, ONLINE, event_mode
from ..invitations.invitation_status import Funnel, funnel
from ..surveys.results import SurveyResults, survey_results

log = logging.getLogger(__name__)

#: countries shown by name on the dashboard; the rest are added up as "others"
TOP_COUNTRIES = 15
#: a registration-over-time chart never spans more days than this (the last ones are kept)
MAX_DAYS = 366
OTHERS = "__others__"


@dataclass(frozen=True)
class DayCount:
    """One day in the event's zone: what happened that day and the running total."""

    day: date
    count: int
    total: int


@dataclass(frozen=True)
class CheckinDay:
    """Arrivals of one day of the event and their share of the confirmed delegates."""

    day: date
    arrivals: int
    confirmed: int
    total_checked_in: int

    @property
    def rate(self) -> float:
        return self.arrivals / self.confirmed if self.confirmed else 0.0


@dataclass
class EventDashboard:
    """Everything the event's dashboard shows."""

    event: Event
    by_status: dict[RegistrationStatus, int]
    registrations_by_day: list[DayCount]
    confirmed_by_country: list[tuple[str, int]]
    confirmed_by_role: list[tuple[DelegationRole, int]]
    confirmed_by_organisation_type: list[tuple[OrganisationType, int]]
    checkin_by_day: list[CheckinDay]
    invitations: Funnel
    checked_in: int = 0
    #: confirmed delegates attending online (services.events.attendance)
    confirmed_online: int = 0
    #: the feedback survey's results in the page's language (None: the event has no survey)
    survey: SurveyResults | None = None

    @property
    def confirmed(self) -> int:
        return self.by_status[RegistrationStatus.CONFIRMED]

    @property
    def confirmed_in_person(self) -> int:
        return self.confirmed - self.confirmed_online

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def countries(self) -> int:
        return len(self.confirmed_by_country)

    @property
    def checkin_rate(self) -> float:
        return self.checked_in / self.confirmed if self.confirmed else 0.0

    @property
    def response_rate(self) -> float:
        return self.invitations.responded / self.invitations.invited \
            if self.invitations.invited else 0.0


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in ``zone``."""
    return moment.astimezone(zone).date()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def cumulative_by_day(moments: list[datetime], zone: ZoneInfo) -> list[DayCount]:
    """One DayCount per day from the first to the last of ``moments`` (empty days included)."""
    if not moments:
        return []
    per_day = Counter(local_day(moment, zone) for moment in moments)
    days = _days(min(per_day), max(per_day))
    result, total = [], 0
    for day in days:
        total += per_day.get(day, 0)
        result.append(DayCount(day, per_day.get(day, 0), total))
    return result[-MAX_DAYS:]


def event_days(event: Event) -> list[date]:
    """The calendar days of the event in its own zone."""
    zone = ZoneInfo(event.timezone)
    return _days(local_day(event.start_at, zone), local_day(event.end_at, zone))


def checkin_by_day(event: Event, check_ins: list[datetime], confirmed: int) -> list[CheckinDay]:
    """Arrivals per day of the event; days with arrivals outside the event are added."""
    zone = ZoneInfo(event.timezone)
    per_day = Counter(local_day(moment, zone) for moment in check_ins)
    days = sorted(set(event_days(event)) | set(per_day))
    if len(days) > MAX_DAYS:
        days = days[-MAX_DAYS:]
    result, total = [], 0
    for day in days:
        total += per_day.get(day, 0)
        result.append(CheckinDay(day, per_day.get(day, 0), confirmed, total))
    return result


def top_with_others(items: list[tuple[str, int]], top: int = TOP_COUNTRIES
                    ) -> list[tuple[str, int]]:
    """The ``top`` largest items, then one (OTHERS, sum) item for the rest (if any)."""
    ranked = sorted(items, key=lambda item: (-item[1], item[0]))
    if len(ranked) <= top + 1:
        return ranked
    return ranked[:top] + [(OTHERS, sum(count for _code, count in ranked[top:]))]


def event_dashboard(event: Event) -> EventDashboard:
    """The event's numbers, in three queries."""
    zone = ZoneInfo(event.timezone)
    by_status = dict.fromkeys(RegistrationStatus, 0)
    created, check_ins = [], []
    confirmed = RegistrationStatus.CONFIRMED
    mode, online = event_mode(event), 0
    rows = db.session.execute(
        select(Registration.status, Registration.created_at, Registration.checked_in_at,
               Registration.attendance)
        .where(Registration.event_id == event.id)
    )
    for status, created_at, checked_in_at, attendance in rows:
        by_status[RegistrationStatus(status)] += 1
        created.append(created_at)
        if status == confirmed and (mode == ONLINE or (mode == HYBRID
                                                       and attendance == ONLINE.value)):
            online += 1  # as services.events.attendance.attends_online reads it
        if checked_in_at is not None and status == confirmed:
            check_ins.append(checked_in_at)
    groups = db.session.execute(
        select(Registration.country, Registration.delegation_role,
               Registration.organisation_type, func.count(Registration.id))
        .where(Registration.event_id == event.id, Registration.status == confirmed)
        .group_by(Registration.country, Registration.delegation_role,
                  Registration.organisation_type)
    ).all()
    countries, roles, kinds = Counter(), Counter(), Counter()
    for country, role, kind, count in groups:
        countries[country] += count
        roles[DelegationRole(role)] += count
        kinds[kind if kind in OrganisationType._value2member_map_ else "other"] += count
    dashboard = EventDashboard(
        event=event,
        by_status=by_status,
        registrations_by_day=cumulative_by_day(created, zone),
        confirmed_by_country=sorted(countries.items(), key=lambda item: (-item[1], item[0])),
        confirmed_by_role=[(role, roles[role]) for role in DelegationRole if roles[role]],
        confirmed_by_organisation_type=[
            (kind, kinds[kind.value]) for kind in OrganisationType if kinds[kind.value]],
        checkin_by_day=checkin_by_day(event, check_ins, by_status[confirmed]),
        invitations=funnel(event),
        checked_in=len(check_ins),
        confirmed_online=online,
        survey=survey_results(event, current_language()),
    )
    log.debug("dashboard of event %s: %d registrations", event.id, dashboard.total)
    return dashboard


# --- across events ---------------------------------------------------------------------------

@dataclass
class EventLine:
    """One event's row on the cross-event dashboard."""

    event: Event
    by_status: dict[RegistrationStatus, int] = field(
        default_factory=lambda: dict.fromkeys(RegistrationStatus, 0))
    countries: int = 0
    checked_in: int = 0
    invited: int = 0
    responded: int = 0

    @property
    def confirmed(self) -> int:
        return self.by_status[RegistrationStatus.CONFIRMED]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def checkin_rate(self) -> float | None:
        return self.checked_in / self.confirmed if self.confirmed else None

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


@dataclass
class Overview:
    """The cross-event dashboard: upcoming and past events, totals, distinct countries."""

    upcoming: list[EventLine]
    past: list[EventLine]
    totals: EventLine
    countries: int

    @property
    def events(self) -> int:
        return len(self.upcoming) + len(self.past)


def overview(user: User, *, now: datetime | None = None) -> Overview:
    """The events ``user`` may see with their numbers, in five queries.

    Upcoming events (not yet ended) come soonest first, past ones latest first; drafts and
    cancelled events are included (the page shows their status).
    """
    now = now or utcnow()
    events = list(db.session.scalars(visible_events_query(user).order_by(Event.start_at,
                                                                           Event.id)))
    lines = {event.id: EventLine(event) for event in events}
    ids = list(lines)
    totals = EventLine(event=None)  # type: ignore[arg-type]
    countries = 0
    if ids:
        checked = func.count(case((and_(Registration.status == RegistrationStatus.CONFIRMED,
                                         Registration.checked_in_at.is_not(None)), 1)))
        for event_id, status, count, arrivals in db.session.execute(
                select(Registration.event_id, Registration.status, func.count(Registration.id),
                       checked)
                .where(Registration.event_id.in_(ids))
                .group_by(Registration.event_id, Registration.status)):
            lines[event_id].by_status[RegistrationStatus(status)] += count
            lines[event_id].checked_in += arrivals
        confirmed_here = and_(Registration.event_id.in_(ids),
                              Registration.status == RegistrationStatus.CONFIRMED)
        for event_id, number in db.session.execute(
                select(Registration.event_id, func.count(func.distinct(Registration.country)))
                .where(confirmed_here).group_by(Registration.event_id)):
            lines[event_id].countries = number
        answered = or_(Invitee.response == InvitationResponse.ACCEPTED,
                       Invitee.response == InvitationResponse.DECLINED)
        for event_id, invited, responded in db.session.execute(
                select(Invitee.event_id, func.count(Invitee.id), func.count(case((answered, 1))))
                .where(Invitee.event_id.in_(ids)).group_by(Invitee.event_id)):
            lines[event_id].invited, lines[event_id].responded = invited, responded
        countries = db.session.scalar(
            select(func.count(func.distinct(Registration.country))).where(confirmed_here)) or 0
    for line in lines.values():
        for status, count in line.by_status.items():
            totals.by_status[status] += count
        totals.checked_in += line.checked_in
        totals.invited += line.invited
        totals.responded += line.responded
    totals.countries = countries
    upcoming = [lines[e.id] for e in events if e.end_at > now]
    past = [lines[e.id] for e in reversed(events) if e.end_at <= now]
    return Overview(upcoming=upcoming, past=past, totals=totals, countries=countries)
