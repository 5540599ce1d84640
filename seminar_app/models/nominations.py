"""Nominations: a mission (embassy, permanent mission, ministry, agency) invited as an
organisation nominates its delegation through its focal point's invitation link, with a
nomination letter (note verbale) and a photo per member; staff accredit the members or return
the nomination with a reason.

A ``Nomination`` belongs to one organisation ``Invitee`` (one per invitee). Its members are
``NominationMember`` rows until staff accredit them: each accredited member then becomes a
``Registration`` of the nomination's ``Delegation`` (``registration_id``), with their own
reference, personal link and badge, and from then on the registration is what counts (status,
places, quotas). The members hold no passport data: an accredited member who needs a visa gives
it through their own personal link (least data).
"""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class NominationStatus(enum.StrEnum):
    """Where a nomination stands (stored as a plain string)."""

    #: the focal point is preparing it; staff do not see it in the queue yet
    DRAFT = "draft"
    #: in the accreditation queue
    SUBMITTED = "submitted"
    #: sent back to the focal point with a reason; they change it and submit again
    RETURNED = "returned"
    #: every member has been decided (accredited or not); a member added later submits it again
    DECIDED = "decided"
    #: the focal point withdrew the whole nomination
    WITHDRAWN = "withdrawn"


class NominationMemberStatus(enum.StrEnum):
    """Where one nominated member stands (stored as a plain string)."""

    #: nominated, waiting for staff
    PROPOSED = "proposed"
    #: accredited: ``registration_id`` is their registration
    ACCREDITED = "accredited"
    #: staff did not accredit this member (``decision_reason``)
    NOT_ACCREDITED = "not_accredited"
    #: withdrawn by the focal point
    WITHDRAWN = "withdrawn"


class InviteeKind(enum.StrEnum):
    """Who an invitee is: one person, or an organisation that nominates its delegation
    through a focal point (the invitee's name and email are then the focal point's)."""

    PERSON = "person"
    ORGANISATION = "organisation"


class Nomination(db.Model):
    """One organisation's nomination of its delegation to one event."""

    __tablename__ = "nominations"
    __table_args__ = (Index("ix_nominations_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: the organisation invitee whose focal point nominates; one nomination per invitee
    invitee_id: Mapped[int] = mapped_column(
        ForeignKey("invitees.id", ondelete="CASCADE"), unique=True)
    #: a NominationStatus value
    status: Mapped[str] = mapped_column(String(12), default=NominationStatus.DRAFT.value)
    #: ISO 3166-1 alpha-2 of the country the delegation represents
    country: Mapped[str] = mapped_column(String(2), default="")
    #: the mission's name, e.g. "Embassy of the Kingdom of Thailand in Jakarta"
    organisation: Mapped[str] = mapped_column(String(200), default="")
    #: an OrganisationType value
    organisation_type: Mapped[str] = mapped_column(String(30), default="embassy")
    #: the nomination letter / note verbale: a PDF Upload, private to the event's organizers
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))
    #: the note verbale's own reference, e.g. "No. 123/2026/JKT" (optional)
    letter_reference: Mapped[str] = mapped_column(String(100), default="")
    #: why staff returned it, told to the focal point; kept until the next return
    return_reason: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the focal point used a link forwarded from another address: staff confirm first
    forwarded: Mapped[bool] = mapped_column(default=False)
    #: the delegation the accredited members join (created at the first accreditation)
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event = relationship("Event")
    invitee = relationship("Invitee")
    letter = relationship("Upload", foreign_keys=[letter_id])
    returned_by = relationship("User")
    delegation = relationship("Delegation")
    members: Mapped[list["NominationMember"]] = relationship(
        back_populates="nomination", order_by="NominationMember.id",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Nomination {self.id} event={self.event_id} {self.status}>"


class NominationMember(db.Model):
    """One person a mission nominates."""

    __tablename__ = "nomination_members"
    __table_args__ = (Index("ix_nomination_members_nomination", "nomination_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    #: a NominationMemberStatus value
    status: Mapped[str] = mapped_column(
        String(16), default=NominationMemberStatus.PROPOSED.value)
    #: a Honorific value, and free text when it is "other"
    honorific: Mapped[str] = mapped_column(String(10), default="mr")
    honorific_other: Mapped[str] = mapped_column(String(40), default="")
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    #: lower-case; where their confirmation and personal link go once accredited
    email: Mapped[str] = mapped_column(String(254))
    position: Mapped[str] = mapped_column(String(200), default="")
    #: a DelegationRole value
    role: Mapped[str] = mapped_column(String(12), default="delegate")
    #: language of the member's own emails (en or id)
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: the member will need a visa invitation letter (passport data is asked of them later)
    needs_visa: Mapped[bool] = mapped_column(default=False)
    #: passport-style photo and check-in thumbnail (services.registration.photos); handed to
    #: the registration at accreditation
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))
    photo_thumbnail_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"))
    #: staff's reason for not accrediting, told to the focal point
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the member's registration once accredited
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="members")
    photo = relationship("Upload", foreign_keys=[photo_id])
    photo_thumbnail = relationship("Upload", foreign_keys=[photo_thumbnail_id])
    registration = relationship("Registration")
    decided_by = relationship("User")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def __repr__(self) -> str:
        return f"<NominationMember {self.id} nomination={self.nomination_id} {self.status}>"
