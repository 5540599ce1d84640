"""Certificates of attendance: an event's settings (on or off, who gets one, who signs).

A certificate itself is not stored: it is drawn from the registration when asked for, and its
verification code is an HMAC of the registration's id (services.registration.certificates)
under a random key of the event, kept encrypted: a revoked registration stops verifying at
once, and printed codes keep verifying when SECRET_KEY is changed.
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..extensions import db
from .base import UTCDateTime, utcnow


class CertificateScope(enum.StrEnum):
    """Which delegates get a certificate of attendance."""

    #: confirmed delegates whose arrival was recorded at the check-in desk
    CHECKED_IN = "checked_in"
    #: every confirmed delegate
    CONFIRMED = "confirmed"


class CertificateSettings(db.Model):
    """An event's certificates of attendance: one row per event, none until first saved."""

    __tablename__ = "certificate_settings"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: delegates can download their certificate (once the event is over)
    enabled: Mapped[bool] = mapped_column(default=False)
    #: a CertificateScope value (validated in Python, no database enum type)
    scope: Mapped[str] = mapped_column(String(20), default=CertificateScope.CHECKED_IN.value)
    #: who signs; "" takes the event's letter signatory (Documents page)
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    #: an optional line printed under the event, per language ("" for none)
    wording_en: Mapped[str] = mapped_column(String(500), default="")
    wording_id: Mapped[str] = mapped_column(String(500), default="")
    #: the random key the event's certificate codes and links are signed with (encrypted under
    #: DATA_KEYS); None for events set up before it existed, whose codes stay signed with
    #: SECRET_KEY
    code_key: Mapped[str | None] = mapped_column(EncryptedText("certificate_settings.code_key"),
                                                 nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event = relationship("Event")

    def __repr__(self) -> str:
        return f"<CertificateSettings event={self.event_id} enabled={self.enabled} {self.scope}>"
