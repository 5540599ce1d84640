"""A registration's travel plan: arrival, departure and accommodation.

Rules:
- A plan may be given through personal links while the event collects travel (optional or
  required): the delegate, the head of their delegation and the focal point who nominated
  them change it until the cut-off and the end of the event, while the registration is not
  cancelled or rejected. Staff change it at any time (also before travel is turned on).
- Arrival and departure each have a time (entered in the event's zone, stored in UTC), a mode
  (flight, train, other), a flight or train number, a place and whether transport to or from
  it is needed. A flight's place is a known IATA airport code. The departure is after the
  arrival.
- Accommodation is one of the event's hotels (with check-in and check-out dates, check-out
  after check-in) or the delegate's own arrangements. Room sharing names another delegate of
  the same event, still taking part, by email or reference; never oneself; hotels only.
- A refused plan stores nothing. A plan that changes gets a new ``updated_at`` (staff see it
  marked until their next export) and an audit entry.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ...database import use_case
from ...extensions import db
from ...models import (
    LODGINGS,
    TRANSPORT_MODES,
    Event,
    Hotel,
    Registration,
    RegistrationStatus,
    TravelPlan,
    utcnow,
)
from ..audit import record_action
from ..errors import Conflict, ServiceError
from .airports import is_airport_code, normalize_code
from .settings import travel_enabled, travel_settings

log = logging.getLogger(__name__)

#: what each transport mode (TRANSPORT_MODES) and lodging (LODGINGS) is called, everywhere
MODE_LABELS = {"flight": _l("Flight"), "train": _l("Train"), "other": _l("Other")}
LODGING_LABELS = {"hotel": _l("One of the organizer's hotels"),
                  "own": _l("My own arrangements")}
NUMBER_MAX = 20
PLACE_MAX = 120
SHARE_MAX = 254
#: who changes a plan: the delegate, their head, their focal point, staff
CHANGERS = ("delegate", "head", "focal_point", "staff")
#: a registration in these states has no travel to change
_ENDED = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)
_LEGS = ("arrival", "departure")
#: every value of a plan, as services and the API name them
PLAN_FIELDS = (
    "arrival_at", "arrival_mode", "arrival_number", "arrival_place", "arrival_pickup",
    "departure_at", "departure_mode", "departure_number", "departure_place",
    "departure_pickup", "lodging", "hotel_id", "check_in", "check_out", "share_with")


@dataclass(frozen=True)
class TravelAccess:
    """What a personal page may do with a registration's travel now."""

    #: the event collects travel (optional or required)
    asked: bool
    #: the event requires it (the page asks prominently)
    required: bool
    #: why it cannot be changed now (a translated sentence), or ""
    refusal: str
    cutoff: datetime | None


def local_to_utc(day: date | None, moment: time | None, zone: str) -> datetime | None:
    """The UTC time of ``day`` at ``moment`` in ``zone`` (None unless both are given)."""
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def get_plan(registration: Registration) -> TravelPlan | None:
    """The registration's stored plan, or None."""
    return db.session.scalar(
        select(TravelPlan).where(TravelPlan.registration_id == registration.id))


def travel_access(registration: Registration, *, now: datetime | None = None) -> TravelAccess:
    """Whether a personal link may change ``registration``'s travel now, and why not."""
    settings = travel_settings(registration.event)
    asked = travel_enabled(settings)
    return TravelAccess(asked=asked, required=settings.mode == "required",
                        refusal=_personal_refusal(registration, settings, now or utcnow()),
                        cutoff=settings.change_cutoff_at)


def _personal_refusal(registration: Registration, settings, now: datetime) -> str:
    if not travel_enabled(settings):
        return _("This event does not collect travel details.")
    if registration.status in _ENDED:
        return _("This registration can no longer be changed.")
    if now >= registration.event.end_at:
        return _("This event is over: travel details can no longer be changed.")
    if settings.change_cutoff_at is not None and now >= settings.change_cutoff_at:
        return _("Travel details could be changed until the cut-off set by the organizers; "
                 "please contact them for any change.")
    return ""


def plan_values(registration: Registration, plan: TravelPlan | None = None) -> dict:
    """The stored plan of ``registration`` as input values (empty ones without a plan)."""
    plan = plan if plan is not None else get_plan(registration)
    values = {name: None for name in PLAN_FIELDS}
    values.update({f"{leg}_{key}": "" for leg in _LEGS for key in ("mode", "number", "place")})
    values.update(arrival_pickup=False, departure_pickup=False, lodging="", share_with="")
    if plan is None:
        return values
    for name in PLAN_FIELDS:
        if name != "share_with":
            values[name] = getattr(plan, name)
    values["share_with"] = plan.share_with.reference if plan.share_with is not None else ""
    return values


@use_case
def set_travel_plan(registration: Registration, values: dict, *, by: str,
                    actor=None) -> TravelPlan:
    """Store ``registration``'s plan from ``values`` (every PLAN_FIELDS key; missing ones are
    empty). ``by`` is one of CHANGERS; all but staff are held to the cut-off."""
    event = registration.event
    settings = travel_settings(event)
    if by != "staff":
        refusal = _personal_refusal(registration, settings, utcnow())
        if refusal:
            raise Conflict(refusal)
    clean = _clean(event, registration, values)
    plan = get_plan(registration)
    if plan is None:
        plan = TravelPlan(registration_id=registration.id, event_id=event.id)
        db.session.add(plan)
    changed = [name for name, value in clean.items() if getattr(plan, name) != value]
    for name, value in clean.items():
        setattr(plan, name, value)
    if changed or plan.id is None:
        plan.updated_at = utcnow()
        record_action("travel.plan_changed", registration, user=actor, by=by, fields=changed)
    return plan


def _clean(event: Event, registration: Registration, values: dict) -> dict:
    """The checked values to store (ServiceError naming the field otherwise)."""
    clean = {}
    for leg in _LEGS:
        clean.update(_clean_leg(leg, values))
    if clean["arrival_at"] and clean["departure_at"] \
            and clean["departure_at"] <= clean["arrival_at"]:
        raise ServiceError(_("The departure must be after the arrival."), field="departure_at")
    clean.update(_clean_stay(event, registration, values))
    return clean


def _text(values: dict, name: str, limit: int, *, upper: bool = False) -> str:
    value = values.get(name)
    value = " ".join(value.split()) if isinstance(value, str) else ""
    value = value.upper() if upper else value
    if len(value) > limit:
        raise ServiceError(_("At most %(max)d characters.", max=limit), field=name)
    return value


def _clean_leg(leg: str, values: dict) -> dict:
    moment = values.get(f"{leg}_at")
    if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
        raise ServiceError(_("Give a date and time."), field=f"{leg}_at")
    mode = values.get(f"{leg}_mode") or ""
    if mode not in ("", *TRANSPORT_MODES):
        raise ServiceError(_("Please choose one of the options."), field=f"{leg}_mode")
    number = _text(values, f"{leg}_number", NUMBER_MAX, upper=True)
    place = _text(values, f"{leg}_place", PLACE_MAX)
    pickup = bool(values.get(f"{leg}_pickup"))
    if (mode or number or place or pickup) and moment is None:
        raise ServiceError(_("Give the date and time."), field=f"{leg}_at")
    if moment is not None and not mode:
        raise ServiceError(_("Choose how you travel."), field=f"{leg}_mode")
    if mode == "flight":
        place = normalize_code(place)
        if not place:
            raise ServiceError(_("Give the airport's three-letter IATA code, e.g. CGK."),
                               field=f"{leg}_place")
        if not is_airport_code(place):
            raise ServiceError(_("%(code)s is not a known IATA airport code (three letters, "
                                 "e.g. CGK for Jakarta).", code=place[:10]),
                               field=f"{leg}_place")
    return {f"{leg}_at": moment.astimezone(UTC) if moment else None, f"{leg}_mode": mode,
            f"{leg}_number": number, f"{leg}_place": place, f"{leg}_pickup": pickup}


def _clean_stay(event: Event, registration: Registration, values: dict) -> dict:
    lodging = values.get("lodging") or ""
    if lodging not in ("", *LODGINGS):
        raise ServiceError(_("Please choose one of the options."), field="lodging")
    check_in, check_out = values.get("check_in"), values.get("check_out")
    for name, day in (("check_in", check_in), ("check_out", check_out)):
        if day is not None and not isinstance(day, date):
            raise ServiceError(_("Give a date."), field=name)
    hotel_id, share = None, None
    if lodging == "hotel":
        hotel_id = _hotel_id(event, values.get("hotel_id"))
        if check_in is None:
            raise ServiceError(_("Give the check-in date."), field="check_in")
        if check_out is None:
            raise ServiceError(_("Give the check-out date."), field="check_out")
        share = _sharer(event, registration, values)
    elif _text(values, "share_with", SHARE_MAX):
        raise ServiceError(_("Room sharing is arranged in the organizer's hotels only."),
                           field="share_with")
    if check_in and check_out and check_out <= check_in:
        raise ServiceError(_("The check-out date must be after the check-in date."),
                           field="check_out")
    return {"lodging": lodging, "hotel_id": hotel_id, "check_in": check_in,
            "check_out": check_out, "share_with_id": share}


def _hotel_id(event: Event, hotel_id) -> int:
    if not isinstance(hotel_id, int) or isinstance(hotel_id, bool):
        raise ServiceError(_("Choose one of this event's hotels."), field="hotel_id")
    hotel = db.session.get(Hotel, hotel_id)
    if hotel is None or hotel.event_id != event.id:
        raise ServiceError(_("Choose one of this event's hotels."), field="hotel_id")
    return hotel.id


def _sharer(event: Event, registration: Registration, values: dict) -> int | None:
    """The id of the delegate named to share the room with (email or reference), or None."""
    text = _text(values, "share_with", SHARE_MAX)
    if not text:
        return None
    other = db.session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.status.not_in(_ENDED),
        or_(func.lower(Registration.email) == text.lower(),
            func.upper(Registration.reference) == text.upper())))
    if other is None:
        raise ServiceError(_("Nobody taking part in this event has this email address or "
                             "reference."), field="share_with")
    if other.id == registration.id:
        raise ServiceError(_("A delegate cannot share a room with themselves."), field="share_with")
    return other.id
