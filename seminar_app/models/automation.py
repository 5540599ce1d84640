"""Automatic emails of an event: which ones are on, and their N days.

One row per event, none until the organizers first save the "Automatic emails" page (every
email is off until then). The worker's periodic task (services.invitations.automatic_mailings)
reads these rows every minute and creates each automatic mailing once per event.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class EventAutomation(db.Model):
    """An event's automatic emails, each on or off with its number of days."""

    __tablename__ = "event_automations"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: a reminder to confirmed delegates N days before the event starts (.ics attached)
    event_reminder: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    event_reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: its wording {"en": {"subject", "body"}, "id": {...}}; {} until the organizers write it
    event_reminder_wording: Mapped[dict] = mapped_column(JSON, default=dict)
    #: a reminder to invitees who have not answered, N days before registration closes
    deadline_reminder: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    deadline_reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")
    #: the certificate mailing N days after the event ends
    certificate: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    certificate_days: Mapped[int] = mapped_column(default=1, server_default="1")
    #: the feedback survey mailing N days after the event ends
    survey: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    survey_days: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")

    def __repr__(self) -> str:
        return f"<EventAutomation event={self.event_id}>"
