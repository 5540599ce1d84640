"""What staff read of the travel plans: the arrivals and departures boards, the rooming list
with the room-block use per night, who has not given their travel, the dashboard figures.

Rules:
- Boards list the delegates taking part (confirmed or waiting for approval), grouped by day
  and hour in the event's time zone; within an hour the heads of delegation come first, then
  by time, country and name.
- A hotel's rooms used on a night are the delegates staying that night (check-in on or
  before it, check-out after it), a delegate sharing a room with another staying there the
  same night counting one room with them. Nights over the block size are flagged.
- A row is marked "changed" when its plan changed after the last export of that list.
- Each function runs a fixed number of queries, whatever the number of delegates.
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import aliased

from ...database import is_postgresql, use_case
from ...extensions import db
from ...models import (
    Delegation,
    Event,
    Hotel,
    Registration,
    RegistrationStatus,
    TravelPlan,
    TravelSettings,
    utcnow,
)
from ..audit import record_action
from .settings import event_hotels, travel_settings

log = logging.getLogger(__name__)

#: registrations shown on the boards and counted in the rooms
TAKING_PART = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)
#: seconds in a quarter of an hour (board_days counts by it)
QUARTER_HOUR = 900
#: the longest stay counted night by night (a typo such as 2062 must not loop for years)
MAX_NIGHTS = 120


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3x (2,000 rows)
class BoardRow:
    """One delegate arriving (or leaving)."""

    registration_id: int
    reference: str
    name: str
    country: str
    status: str
    is_head: bool
    delegation: str
    at: datetime
    local: datetime
    mode: str
    number: str
    place: str
    pickup: bool
    hotel: str
    changed: bool


@dataclass
class BoardSlot:
    """An hour of a day in the event's zone and who arrives (or leaves) in it."""

    hour: datetime
    rows: list[BoardRow]

    @property
    def pickups(self) -> int:
        return sum(1 for row in self.rows if row.pickup)


@dataclass
class BoardDay:
    day: date
    slots: list[BoardSlot]

    @property
    def count(self) -> int:
        return sum(len(slot.rows) for slot in self.slots)


@dataclass
class Board:
    event: Event
    kind: str  # arrival | departure
    days: list[BoardDay]
    exported_at: datetime | None

    @property
    def count(self) -> int:
        return sum(day.count for day in self.days)


def _head_ids(event: Event):
    return select(Delegation.head_registration_id).where(Delegation.event_id == event.id)


def board_query(event: Event, kind: str = "arrival"):
    """A select of the columns a board shows (no whole rows: a registration's encrypted
    columns would be decrypted for nothing) of the delegates taking part who gave their
    ``kind`` time, soonest first."""
    at = getattr(TravelPlan, f"{kind}_at")
    delegation = aliased(Delegation)
    return (
        select(Registration.id.label("registration_id"), Registration.reference,
               Registration.given_name, Registration.family_name, Registration.country,
               Registration.status, delegation.name.label("delegation"),
               delegation.head_registration_id.label("head_id"), Hotel.name.label("hotel"),
               at.label("at"), getattr(TravelPlan, f"{kind}_mode").label("mode"),
               getattr(TravelPlan, f"{kind}_number").label("number"),
               getattr(TravelPlan, f"{kind}_place").label("place"),
               getattr(TravelPlan, f"{kind}_pickup").label("pickup"), TravelPlan.updated_at)
        .join(Registration, Registration.id == TravelPlan.registration_id)
        .outerjoin(delegation, delegation.id == Registration.delegation_id)
        .outerjoin(Hotel, Hotel.id == TravelPlan.hotel_id)
        .where(TravelPlan.event_id == event.id, at.is_not(None),
               Registration.status.in_(TAKING_PART))
        .order_by(at, Registration.id))


def board_rows(event: Event, kind: str, rows, exported: datetime | None) -> list[BoardRow]:
    """``rows`` of ``board_query`` as BoardRows (``changed`` against ``exported``)."""
    zone = ZoneInfo(event.timezone)
    return [_board_row(row, zone, exported) for row in rows]


def board(event: Event, kind: str = "arrival", *, day: date | None = None) -> Board:
    """The arrivals (``kind="arrival"``) or departures board of ``event``: every day, or
    only ``day`` (in the event's zone) when given (two queries)."""
    exported = travel_settings(event).arrivals_exported_at
    query = board_query(event, kind)
    if day is not None:
        start = datetime.combine(day, time(), tzinfo=ZoneInfo(event.timezone))
        at = getattr(TravelPlan, f"{kind}_at")
        query = query.where(at >= start.astimezone(UTC),
                            at < (start + timedelta(days=1)).astimezone(UTC))
    rows = board_rows(event, kind, db.session.execute(query), exported)
    return Board(event=event, kind=kind, days=_group(rows), exported_at=exported)


def board_days(event: Event, kind: str = "arrival") -> list[tuple[date, int]]:
    """The days (in the event's zone) someone arrives (or leaves) on, with how many (one
    query, counting by quarter of an hour in SQL: a few hundred groups to convert to the
    zone, not one time per delegate; every zone's offset is a multiple of 15 minutes)."""
    at = getattr(TravelPlan, f"{kind}_at")
    quarter = _quarter_hour(at)
    zone = ZoneInfo(event.timezone)
    groups = db.session.execute(
        select(quarter, func.count())
        .join(Registration, Registration.id == TravelPlan.registration_id)
        .where(TravelPlan.event_id == event.id, at.is_not(None),
               Registration.status.in_(TAKING_PART))
        .group_by(quarter))
    days = Counter()
    for number, count in groups:
        days[datetime.fromtimestamp(int(number) * QUARTER_HOUR, zone).date()] += count
    return sorted(days.items())


def _quarter_hour(column):
    """The number of the quarter of an hour since 1970 that ``column`` (a UTC time) falls in."""
    if is_postgresql():
        return func.floor(func.extract("epoch", column) / QUARTER_HOUR)
    return cast(func.strftime("%s", column), Integer) / QUARTER_HOUR


def default_board_day(days: list[tuple[date, int]], today: date) -> date | None:
    """The day a board opens on: today or the next day with people, else the last one."""
    upcoming = [day for day, _count in days if day >= today]
    if upcoming:
        return upcoming[0]
    return days[-1][0] if days else None


def _board_row(row, zone, exported) -> BoardRow:
    return BoardRow(
        registration_id=row.registration_id, reference=row.reference,
        name=f"{row.given_name} {row.family_name}".strip(), country=row.country,
        status=row.status.value, is_head=row.head_id == row.registration_id,
        delegation=row.delegation or "", at=row.at, local=row.at.astimezone(zone),
        mode=row.mode, number=row.number, place=row.place, pickup=row.pickup,
        hotel=row.hotel or "", changed=exported is None or row.updated_at > exported)


def _group(rows: list[BoardRow]) -> list[BoardDay]:
    days = []
    for day, day_rows in groupby(rows, key=lambda row: row.local.date()):
        slots = []
        for _hour, hour_rows in groupby(day_rows, key=lambda row: row.local.hour):
            ordered = sorted(hour_rows, key=lambda r: (not r.is_head, r.at, r.country, r.name))
            slots.append(BoardSlot(hour=ordered[0].local.replace(minute=0, second=0,
                                                                 microsecond=0),
                                   rows=ordered))
        days.append(BoardDay(day=day, slots=slots))
    return days


@dataclass(frozen=True)
class MissingTravel:
    """A delegate taking part who has given no arrival yet."""

    registration_id: int
    reference: str
    name: str
    country: str
    email: str


def missing_travel(event: Event) -> list[MissingTravel]:
    """Delegates taking part with no arrival time given (one query), by country and name."""
    query = (
        select(Registration.id, Registration.reference, Registration.given_name,
               Registration.family_name, Registration.country, Registration.email)
        .outerjoin(TravelPlan, TravelPlan.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status.in_(TAKING_PART),
               Registration.attendance != "online", TravelPlan.arrival_at.is_(None))
        .order_by(Registration.country, Registration.sort_name, Registration.id))
    return [MissingTravel(row.id, row.reference, f"{row.given_name} {row.family_name}".strip(),
                          row.country, row.email) for row in db.session.execute(query)]


# --- rooming list -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RoomingRow:
    registration_id: int
    reference: str
    name: str
    country: str
    email: str
    check_in: date | None
    check_out: date | None
    share_with: str
    arrival_local: datetime | None
    departure_local: datetime | None
    changed: bool

    @property
    def nights(self) -> int:
        if self.check_in is None or self.check_out is None:
            return 0
        return (self.check_out - self.check_in).days


@dataclass(frozen=True)
class NightUse:
    night: date
    rooms: int
    guests: int
    block_size: int
    in_block: bool

    @property
    def over(self) -> bool:
        return self.rooms > (self.block_size if self.in_block else 0)


@dataclass
class HotelList:
    hotel: Hotel
    rows: list[RoomingRow] = field(default_factory=list)
    nights: list[NightUse] = field(default_factory=list)

    @property
    def over_block(self) -> bool:
        return any(night.over for night in self.nights)


@dataclass
class RoomingList:
    event: Event
    hotels: list[HotelList]
    exported_at: datetime | None
    #: delegates on their own arrangements
    own: int
    #: every hotel of the event (``hotels`` may hold only one of them)
    all_hotels: list[Hotel] = field(default_factory=list)


#: ``rooming_list(changed_since=...)`` not given: rows changed since the last recorded export
LAST_EXPORT = object()


def rooming_list(event: Event, *, hotel_id: int | None = None,
                 changed_since=LAST_EXPORT) -> RoomingList:
    """Every hotel of ``event`` (or only hotel ``hotel_id``) with its guests and its
    room-block use per night (four queries). Rows changed after ``changed_since`` (a
    datetime, or None: every row) are marked; by default after the last recorded export."""
    settings = travel_settings(event)
    exported = (settings.rooming_exported_at if changed_since is LAST_EXPORT
                else changed_since)
    all_hotels = event_hotels(event)
    hotels = {hotel.id: HotelList(hotel=hotel) for hotel in all_hotels
              if hotel_id is None or hotel.id == hotel_id}
    sharer = aliased(Registration)
    query = (
        select(TravelPlan.lodging, TravelPlan.hotel_id, TravelPlan.check_in,
               TravelPlan.check_out, TravelPlan.arrival_at, TravelPlan.departure_at,
               TravelPlan.share_with_id, TravelPlan.updated_at, Registration.id,
               Registration.reference, Registration.given_name, Registration.family_name,
               Registration.country, Registration.email,
               sharer.given_name.label("share_given"),
               sharer.family_name.label("share_family"), sharer.reference.label("share_ref"))
        .join(Registration, Registration.id == TravelPlan.registration_id)
        .outerjoin(sharer, sharer.id == TravelPlan.share_with_id)
        .where(TravelPlan.event_id == event.id, Registration.status.in_(TAKING_PART),
               TravelPlan.lodging == "hotel")
        .order_by(Registration.sort_name, Registration.given_name, Registration.id))
    if hotel_id is not None:
        query = query.where(TravelPlan.hotel_id == hotel_id)
    zone = ZoneInfo(event.timezone)
    stays = defaultdict(list)
    for row in db.session.execute(query):
        if row.hotel_id not in hotels:
            continue
        share = (f"{row.share_given} {row.share_family} ({row.share_ref})"
                 if row.share_ref else "")
        hotels[row.hotel_id].rows.append(RoomingRow(
            registration_id=row.id, reference=row.reference,
            name=f"{row.given_name} {row.family_name}".strip(), country=row.country,
            email=row.email, check_in=row.check_in, check_out=row.check_out, share_with=share,
            arrival_local=row.arrival_at.astimezone(zone) if row.arrival_at else None,
            departure_local=row.departure_at.astimezone(zone) if row.departure_at else None,
            changed=exported is None or row.updated_at > exported))
        stays[row.hotel_id].append((row.id, row.share_with_id, row.check_in, row.check_out))
    for hotel_id, listing in hotels.items():
        listing.nights = night_use(listing.hotel, stays[hotel_id])
    return RoomingList(event=event, hotels=list(hotels.values()), exported_at=exported,
                       own=_own_arrangements(event), all_hotels=all_hotels)


def rooming_count(event: Event) -> int:
    """How many guests the whole rooming list holds (the size of its XLSX)."""
    return db.session.scalar(
        select(func.count()).select_from(TravelPlan)
        .join(Registration, Registration.id == TravelPlan.registration_id)
        .where(TravelPlan.event_id == event.id, Registration.status.in_(TAKING_PART),
               TravelPlan.lodging == "hotel", TravelPlan.hotel_id.is_not(None))) or 0


def _own_arrangements(event: Event) -> int:
    """How many delegates taking part make their own arrangements."""
    return db.session.scalar(
        select(func.count()).select_from(TravelPlan)
        .join(Registration, Registration.id == TravelPlan.registration_id)
        .where(TravelPlan.event_id == event.id, Registration.status.in_(TAKING_PART),
               TravelPlan.lodging == "own"))


def night_use(hotel: Hotel, stays: list[tuple]) -> list[NightUse]:
    """Rooms and guests per night at ``hotel``, over the block's nights and any night a guest
    stays outside them. ``stays``: (registration id, shares with id, check-in, check-out)."""
    guests: dict[date, set[int]] = defaultdict(set)
    partner = {}
    for registration_id, share_id, check_in, check_out in stays:
        if share_id is not None:
            partner[registration_id] = share_id
        nights = min((check_out - check_in).days, MAX_NIGHTS)
        for offset in range(nights):
            guests[check_in + timedelta(days=offset)].add(registration_id)
    block = [hotel.block_from + timedelta(days=offset)
             for offset in range(min((hotel.block_to - hotel.block_from).days, MAX_NIGHTS))]
    uses = []
    for night in sorted(set(block) | set(guests)):
        present = guests.get(night, set())
        uses.append(NightUse(night=night, rooms=_rooms(present, partner),
                             guests=len(present), block_size=hotel.block_size,
                             in_block=hotel.block_from <= night < hotel.block_to))
    return uses


def _rooms(present: set[int], partner: dict[int, int]) -> int:
    """Rooms used by ``present`` guests: guests linked by room sharing (either naming the
    other) form a group, and a group of n guests takes n/2 rooms, rounded up."""
    group = {guest: guest for guest in present}

    def root(guest: int) -> int:
        while group[guest] != guest:
            group[guest] = group[group[guest]]
            guest = group[guest]
        return guest

    for guest in present:
        other = partner.get(guest)
        if other in present:
            group[root(guest)] = root(other)
    sizes = Counter(root(guest) for guest in present)
    return sum((size + 1) // 2 for size in sizes.values())


# --- exports and the dashboard -----------------------------------------------------------------

@use_case
def mark_exported(event: Event, kind: str, *, actor=None) -> datetime:
    """Record that staff exported the arrivals (``kind="arrivals"``) or the rooming list
    (``"rooming"``) now: rows changed later are marked on the next view."""
    settings = db.session.get(TravelSettings, event.id)
    if settings is None:
        settings = TravelSettings(event_id=event.id, mode="off")
        db.session.add(settings)
    now = utcnow()
    setattr(settings, f"{kind}_exported_at", now)
    record_action(f"travel.{kind}_exported", event, user=actor)
    return now


@dataclass(frozen=True)
class TravelFigures:
    """The dashboard's travel figures."""

    mode: str
    arrivals_by_day: list[tuple[date, int, int]]  # day, arrivals, pick-ups
    hotels: list[tuple[str, int, int, int]]  # name, guests, peak rooms, block size
    own: int
    missing: int

    @property
    def arrivals(self) -> int:
        return sum(count for _day, count, _pickups in self.arrivals_by_day)


def travel_figures(event: Event) -> TravelFigures | None:
    """Arrivals per day (event's zone) and hotel use; None when the event collects no travel
    (a fixed number of queries)."""
    settings = travel_settings(event)
    if settings.mode not in ("optional", "required"):
        return None
    zone = ZoneInfo(event.timezone)
    query = (select(TravelPlan.arrival_at, TravelPlan.arrival_pickup)
             .join(Registration, and_(Registration.id == TravelPlan.registration_id,
                                      Registration.status.in_(TAKING_PART)))
             .where(TravelPlan.event_id == event.id, TravelPlan.arrival_at.is_not(None)))
    counts, pickups = Counter(), Counter()
    for moment, pickup in db.session.execute(query):
        day = moment.astimezone(zone).date()
        counts[day] += 1
        pickups[day] += bool(pickup)
    rooming = rooming_list(event)
    hotels = [(listing.hotel.name, len(listing.rows),
               max((night.rooms for night in listing.nights), default=0),
               listing.hotel.block_size) for listing in rooming.hotels]
    return TravelFigures(mode=settings.mode,
                         arrivals_by_day=[(day, counts[day], pickups[day])
                                          for day in sorted(counts)],
                         hotels=hotels, own=rooming.own, missing=len(missing_travel(event)))
