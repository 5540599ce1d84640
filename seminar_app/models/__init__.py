"""The domain model; importing this package registers every table."""

from .agenda import AgendaSession, Speaker
from .audit import AuditEntry
from .base import UTCDateTime, utcnow
from .events import CoHost, Event, EventStatus, EventType, TeamMember, Visibility
from .mail import OutboxEmail, OutboxStatus
from .uploads import Upload
from .users import User, UserRole

__all__ = [
    "AgendaSession",
    "AuditEntry",
    "CoHost",
    "Event",
    "EventStatus",
    "EventType",
    "OutboxEmail",
    "OutboxStatus",
    "Speaker",
    "TeamMember",
    "UTCDateTime",
    "Upload",
    "User",
    "UserRole",
    "Visibility",
    "utcnow",
]
