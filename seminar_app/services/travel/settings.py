"""An event's travel setting and its hotels.

Rules:
- Travel is off, optional or required per event (no row: off). "Required" makes the personal
  page ask for it prominently and shows staff who is missing it; registration is never
  blocked by it.
- Delegates (and their heads and focal points) change their travel until the cut-off (a time
  in UTC, entered in the event's zone); staff change it at any time.
- A hotel has a name, an address and a block of rooms per night from its first night to the
  day the block ends; the block size is a whole number from 0. A hotel in use by delegates
  may be removed: their plans keep the dates and lose the hotel.
- Every change is audited and committed once.
"""

import logging
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...models import TRAVEL_SETTINGS, Event, Hotel, TravelSettings
from ..audit import record_action
from ..errors import NotFound, ServiceError

log = logging.getLogger(__name__)

NAME_MAX = 200
ADDRESS_MAX = 500
BLOCK_MAX = 10_000
#: a room block may last at most this many nights
BLOCK_NIGHTS_MAX = 120


def travel_settings(event: Event) -> TravelSettings:
    """The event's travel settings (a new, unsaved "off" row when none is stored)."""
    settings = db.session.get(TravelSettings, event.id)
    return settings or TravelSettings(event_id=event.id, mode="off")


def travel_enabled(settings: TravelSettings) -> bool:
    """True when delegates are asked for their travel (optional or required)."""
    return settings.mode in ("optional", "required")


@use_case
def set_travel_settings(event: Event, *, mode: str, change_cutoff_at: datetime | None,
                        actor=None) -> TravelSettings:
    """Store the event's travel setting and change cut-off."""
    if mode not in TRAVEL_SETTINGS:
        raise ServiceError(_("Please choose one of the options."), field="mode")
    if change_cutoff_at is not None and change_cutoff_at.tzinfo is None:
        raise ServiceError(_("Give a date and time."), field="change_cutoff_at")
    settings = db.session.get(TravelSettings, event.id)
    if settings is None:
        settings = TravelSettings(event_id=event.id)
        db.session.add(settings)
    settings.mode = mode
    settings.change_cutoff_at = change_cutoff_at
    record_action("travel.settings", event, user=actor, mode=mode,
                  change_cutoff_at=change_cutoff_at.isoformat() if change_cutoff_at else None)
    return settings


def event_hotels(event: Event) -> list[Hotel]:
    """The event's hotels, by name."""
    return list(db.session.scalars(
        select(Hotel).where(Hotel.event_id == event.id).order_by(Hotel.name, Hotel.id)))


def get_hotel(event: Event, hotel_id: int) -> Hotel:
    """Hotel ``hotel_id`` of ``event``; NotFound for an unknown one or another event's."""
    hotel = db.session.get(Hotel, hotel_id)
    if hotel is None or hotel.event_id != event.id:
        raise NotFound(_("This event has no such hotel."), field="hotel_id")
    return hotel


def _clean_hotel(values: dict) -> dict:
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        raise ServiceError(_("This field is required."), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("At most %(max)d characters.", max=NAME_MAX), field="name")
    address = str(values.get("address") or "").strip()
    if len(address) > ADDRESS_MAX:
        raise ServiceError(_("At most %(max)d characters.", max=ADDRESS_MAX), field="address")
    size = values.get("block_size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= BLOCK_MAX:
        raise ServiceError(_("Give a whole number from 0 to %(max)d.", max=BLOCK_MAX),
                           field="block_size")
    first, end = values.get("block_from"), values.get("block_to")
    if not isinstance(first, date):
        raise ServiceError(_("Give a date."), field="block_from")
    if not isinstance(end, date):
        raise ServiceError(_("Give a date."), field="block_to")
    if end <= first:
        raise ServiceError(_("The block must end after its first night."), field="block_to")
    if (end - first).days > BLOCK_NIGHTS_MAX:
        raise ServiceError(_("A block lasts at most %(max)d nights.", max=BLOCK_NIGHTS_MAX),
                           field="block_to")
    return {"name": name, "address": address, "block_size": size, "block_from": first,
            "block_to": end}


@use_case
def add_hotel(event: Event, values: dict, *, actor=None) -> Hotel:
    """Add a hotel with its room block to the event."""
    hotel = Hotel(event_id=event.id, **_clean_hotel(values))
    db.session.add(hotel)
    db.session.flush()
    record_action("travel.hotel_added", hotel, user=actor, name=hotel.name)
    return hotel


@use_case
def update_hotel(hotel: Hotel, values: dict, *, actor=None) -> Hotel:
    """Change a hotel's name, address or room block."""
    for key, value in _clean_hotel(values).items():
        setattr(hotel, key, value)
    record_action("travel.hotel_changed", hotel, user=actor, name=hotel.name)
    return hotel


@use_case
def delete_hotel(hotel: Hotel, *, actor=None) -> None:
    """Remove a hotel; the delegates who chose it keep their dates without a hotel."""
    record_action("travel.hotel_removed", hotel, user=actor, name=hotel.name)
    db.session.delete(hotel)
