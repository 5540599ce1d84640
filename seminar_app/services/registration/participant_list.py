"""The participant list of an event: filters, search, sort, the summary, and bulk cancelling.

The same filters serve the list page and the exports. They come from a query string and are
read defensively: an unknown status, country, role or sort key is ignored, never an error.
Sorting uses whitelisted keys only; countries sort by their name in the viewer's language.
The "delegation" order groups the members of a delegation together (groups in order of
registration), head first, then by protocol: form of address (H.E., Amb., Prof., Dr., others),
role (head, delegate, speaker, observer, media), then family and given name.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from ...extensions import db
from ...forms import strip_control_characters
from ...i18n import country_choices, is_country_code
from ...models import (
    Delegation,
    DelegationRole,
    Event,
    Honorific,
    Registration,
    RegistrationStatus,
)
from ..errors import ServiceError
from ..events.attendance import ATTENDANCE_VALUES, HYBRID, event_mode
from .registrations import cancel_registration

log = logging.getLogger(__name__)

SEARCH_MAX = 200
SEARCH_TERMS_MAX = 6
SORT_KEYS = ("created", "name", "country", "status", "delegation")
#: protocol order of forms of address and of roles within a delegation
HONORIFIC_RANK = {Honorific.HE: 0, Honorific.AMB: 1, Honorific.PROF: 2, Honorific.DR: 3}
ROLE_RANK = {DelegationRole.HEAD: 0, DelegationRole.DELEGATE: 1, DelegationRole.SPEAKER: 2,
             DelegationRole.OBSERVER: 3, DelegationRole.MEDIA: 4}
STATUS_ORDER = (
    RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED,
    RegistrationStatus.REJECTED, RegistrationStatus.CANCELLED,
)


def _enum_or_none(cls, value):
    try:
        return cls(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ParticipantFilters:
    """What the organizer asked for: search text, status, country, role, sort key and order."""

    search: str = ""
    status: RegistrationStatus | None = None
    country: str = ""
    role: DelegationRole | None = None
    #: "in_person" or "online" (services.events.attendance), "" for everyone
    attendance: str = ""
    sort: str = "created"
    descending: bool = True

    @classmethod
    def from_args(cls, args) -> "ParticipantFilters":
        """Filters read from a query string (a MultiDict); anything unknown falls back."""
        country = (args.get("country") or "").strip().upper()[:2]
        sort = args.get("sort") or "created"
        if sort not in SORT_KEYS:
            sort = "created"
        order = args.get("order")
        descending = order == "desc" if order in ("asc", "desc") else sort == "created"
        return cls(
            search=strip_control_characters(args.get("q") or "").strip()[:SEARCH_MAX],
            status=_enum_or_none(RegistrationStatus, args.get("status")),
            country=country if is_country_code(country) else "",
            role=_enum_or_none(DelegationRole, args.get("role")),
            attendance=args.get("attendance") if args.get("attendance") in ATTENDANCE_VALUES
            else "",
            sort=sort,
            descending=descending,
        )

    def query_args(self, **changes) -> dict:
        """These filters as query-string arguments (empty ones left out), with ``changes``."""
        args = {
            "q": self.search,
            "status": self.status.value if self.status else "",
            "country": self.country,
            "role": self.role.value if self.role else "",
            "attendance": self.attendance,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
        }
        args.update(changes)
        return {key: value for key, value in args.items() if value}


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _search_clause(search: str):
    """Every word must match the name, email, organisation or reference (case-insensitive)."""
    clauses = []
    for term in search.split()[:SEARCH_TERMS_MAX]:
        pattern = _like(term)
        clauses.append(or_(*(column.ilike(pattern, escape="\\") for column in (
            Registration.given_name, Registration.family_name, Registration.email,
            Registration.organisation, Registration.reference))))
    return clauses


def protocol_key(registration: Registration, delegation: Delegation | None = None) -> tuple:
    """Sort key of a registration within its delegation (head first, then protocol, name)."""
    is_head = delegation is not None and registration.id == delegation.head_registration_id
    return (0 if is_head else 1, HONORIFIC_RANK.get(registration.honorific, 4),
            ROLE_RANK.get(registration.delegation_role, 5),
            registration.sort_name.lower(), registration.given_name.lower(), registration.id)


def _delegation_order(descending: bool) -> list:
    """Groups (a delegation, or one registration alone) in order of registration; within a
    delegation, head first, then protocol order and name (always ascending)."""
    group_time = func.coalesce(Delegation.created_at, Registration.created_at)
    # a delegation's registrations share one group number; a registration alone is its own
    group = func.coalesce(Registration.delegation_id * 2, Registration.id * 2 + 1)
    outer = [group_time, group]
    inner = [
        case((Registration.id == Delegation.head_registration_id, 0), else_=1),
        case({h: r for h, r in HONORIFIC_RANK.items()}, value=Registration.honorific,
             else_=len(HONORIFIC_RANK)),
        case({role: r for role, r in ROLE_RANK.items()}, value=Registration.delegation_role,
             else_=len(ROLE_RANK)),
        func.lower(Registration.sort_name), func.lower(Registration.given_name),
        Registration.id,
    ]
    return [key.desc() if descending else key.asc() for key in outer] \
        + [key.asc() for key in inner]


#: sort keys under which a delegation's members stay together (the default one included)
GROUPING_SORTS = ("created", "delegation")


def _order_by(filters: ParticipantFilters, language: str | None):
    if filters.sort in GROUPING_SORTS:
        return _delegation_order(filters.descending)
    if filters.sort == "name":
        keys = [func.lower(Registration.sort_name), func.lower(Registration.given_name)]
    elif filters.sort == "country":
        ranks = {code: rank for rank, (code, _name) in enumerate(country_choices(language))}
        keys = [case(ranks, value=Registration.country, else_=len(ranks))]
    elif filters.sort == "status":
        keys = [case({s: i for i, s in enumerate(STATUS_ORDER)},
                     value=Registration.status, else_=len(STATUS_ORDER))]
    else:
        keys = [Registration.created_at]
    keys.append(Registration.id)
    return [key.desc() if filters.descending else key.asc() for key in keys]


def registrations_query(event: Event, filters: ParticipantFilters, *, language: str | None = None):
    """A select() of the event's registrations matching ``filters``, in their order."""
    query = select(Registration).where(Registration.event_id == event.id)
    if filters.sort in GROUPING_SORTS:
        query = query.outerjoin(Delegation, Registration.delegation_id == Delegation.id)
    if filters.search:
        query = query.where(*_search_clause(filters.search))
    if filters.status is not None:
        query = query.where(Registration.status == filters.status)
    if filters.country:
        query = query.where(Registration.country == filters.country)
    if filters.role is not None:
        query = query.where(Registration.delegation_role == filters.role)
    if filters.attendance:  # as services.events.attendance.attends_online reads it
        mode = event_mode(event)
        if mode == HYBRID:
            query = query.where(Registration.attendance == filters.attendance)
        elif mode.value != filters.attendance:
            query = query.where(False)
    return query.order_by(*_order_by(filters, language))


def registered_countries(event: Event) -> list[str]:
    """Codes of the countries the event's registrations come from (for the filter menu)."""
    return list(db.session.scalars(
        select(Registration.country).where(Registration.event_id == event.id).distinct()
    ))


@dataclass
class ParticipantSummary:
    """Counts for the top of the list: by status, confirmed by country, capacity and quota."""

    by_status: dict
    confirmed_by_country: list[tuple[str, int]]
    waiting_by_country: dict
    capacity: int | None
    country_quota: int | None

    @property
    def confirmed(self) -> int:
        return self.by_status[RegistrationStatus.CONFIRMED]

    @property
    def waiting(self) -> int:
        return self.by_status[RegistrationStatus.WAITLISTED]

    @property
    def free(self) -> int | None:
        """Places left, or None without a capacity."""
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def participant_summary(event: Event) -> ParticipantSummary:
    """Counts by status and, for confirmed and waiting registrations, by country."""
    rows = db.session.execute(
        select(Registration.status, func.count(Registration.id))
        .where(Registration.event_id == event.id).group_by(Registration.status)
    ).all()
    by_status = dict.fromkeys(STATUS_ORDER, 0)
    by_status.update({RegistrationStatus(status): count for status, count in rows})
    country_rows = db.session.execute(
        select(Registration.country, Registration.status, func.count(Registration.id))
        .where(Registration.event_id == event.id,
               Registration.status.in_([RegistrationStatus.CONFIRMED,
                                        RegistrationStatus.WAITLISTED]))
        .group_by(Registration.country, Registration.status)
    ).all()
    confirmed = {c: n for c, s, n in country_rows if s == RegistrationStatus.CONFIRMED}
    waiting = {c: n for c, s, n in country_rows if s == RegistrationStatus.WAITLISTED}
    return ParticipantSummary(
        by_status=by_status,
        confirmed_by_country=sorted(confirmed.items(), key=lambda item: (-item[1], item[0])),
        waiting_by_country=waiting,
        capacity=event.capacity,
        country_quota=event.country_quota,
    )


def cancel_registrations(event: Event, ids, *, actor, reason: str = "") -> dict[str, int]:
    """Cancel the event's registrations among ``ids`` (others are ignored); counts per outcome.

    Each one is cancelled by ``cancel_registration`` in its own transaction, so that places
    freed early in the batch promote waiting delegates exactly as single cancellations do.
    """
    wanted = {int(i) for i in ids}
    counts = {"cancelled": 0, "skipped": 0, "promoted": 0}
    if not wanted:
        return counts
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.id.in_(wanted))
        .order_by(Registration.created_at, Registration.id)).all()
    for registration in registrations:
        if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
            counts["skipped"] += 1
            continue
        try:
            promoted = cancel_registration(registration, actor=actor, reason=reason)
        except ServiceError:
            db.session.rollback()
            counts["skipped"] += 1
            continue
        counts["cancelled"] += 1
        counts["promoted"] += len(promoted)
    return counts
