"""Travel and accommodation of delegates (issue 17): the event's travel setting, the
organizer's hotels with their room blocks, and each registration's travel plan.

Kinds and modes are plain strings checked by services.travel (no database enum types).
Times are stored in UTC and shown in the event's zone; hotel nights are plain dates.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

#: the event's travel setting: not asked, asked, asked prominently (staff see who is missing)
TRAVEL_SETTINGS = ("off", "optional", "required")
#: how a delegate arrives or leaves
TRANSPORT_MODES = ("flight", "train", "other")
#: where a delegate sleeps: one of the organizer's hotels, or their own arrangements
LODGINGS = ("hotel", "own")


class TravelSettings(db.Model):
    """An event's travel setting, its change cut-off and when staff last exported."""

    __tablename__ = "travel_settings"

    #: one row per event (absent: travel is off)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          primary_key=True)
    #: off, optional or required (TRAVEL_SETTINGS)
    mode: Mapped[str] = mapped_column(String(10), default="off")
    #: delegates change their travel through personal links until then; NULL: until the event
    change_cutoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last arrivals export (printed board); rows changed after it are marked
    arrivals_exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the last rooming list export (XLSX); rows changed after it are marked
    rooming_exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<TravelSettings event={self.event_id} {self.mode}>"


class Hotel(db.Model):
    """A hotel where the organizer holds a block of rooms for the event's delegates."""

    __tablename__ = "hotels"
    __table_args__ = (
        CheckConstraint("block_size >= 0", name="hotel_block_not_negative"),
        CheckConstraint("block_to > block_from", name="hotel_block_dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    #: rooms held per night
    block_size: Mapped[int] = mapped_column(default=0)
    #: the first night of the block
    block_from: Mapped[date] = mapped_column(Date)
    #: the day the block ends (the last night is the day before)
    block_to: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Hotel {self.id} {self.name!r} event={self.event_id}>"


class TravelPlan(db.Model):
    """One registration's arrival, departure and accommodation (one row per registration)."""

    __tablename__ = "travel_plans"
    __table_args__ = (
        Index("ix_travel_plans_event_arrival", "event_id", "arrival_at"),
        CheckConstraint("check_out IS NULL OR check_in IS NULL OR check_out > check_in",
                        name="travel_check_out_after_check_in"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True)
    #: the registration's event (kept here so that boards read one table per event)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    arrival_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: flight, train or other (TRANSPORT_MODES); "" when not given
    arrival_mode: Mapped[str] = mapped_column(String(10), default="")
    #: flight or train number, e.g. "GA 881"
    arrival_number: Mapped[str] = mapped_column(String(20), default="")
    #: an IATA airport code for a flight, else the station or place
    arrival_place: Mapped[str] = mapped_column(String(120), default="")
    #: the delegate asks to be met and driven from the airport or station
    arrival_pickup: Mapped[bool] = mapped_column(default=False)
    departure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departure_mode: Mapped[str] = mapped_column(String(10), default="")
    departure_number: Mapped[str] = mapped_column(String(20), default="")
    departure_place: Mapped[str] = mapped_column(String(120), default="")
    #: the delegate asks to be driven to the airport or station
    departure_pickup: Mapped[bool] = mapped_column(default=False)
    #: hotel (one of the event's hotels), own, or "" when not given (LODGINGS)
    lodging: Mapped[str] = mapped_column(String(10), default="")
    hotel_id: Mapped[int | None] = mapped_column(ForeignKey("hotels.id", ondelete="SET NULL"),
                                                 index=True)
    check_in: Mapped[date | None] = mapped_column(Date)
    check_out: Mapped[date | None] = mapped_column(Date)
    #: shares a room with this delegate of the same event
    share_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration = relationship("Registration", foreign_keys=[registration_id])
    hotel = relationship("Hotel")
    share_with = relationship("Registration", foreign_keys=[share_with_id])

    def __repr__(self) -> str:
        return f"<TravelPlan {self.id} registration={self.registration_id}>"
