"""The row-level work of erasing a person (services.privacy.retention decides when and whom).

Rules:
- An erased registration's email is ``erased-<id>@invalid``, an erased invitee's
  ``erased-invitee-<id>@invalid``, an erased outbox row's recipient ``erased-<row id>@invalid``:
  unique, never an address (.invalid is reserved), and how an erased row is recognised.
- An email sent to the person loses its recipient, recipient name, bodies, attachments,
  headers and what the worker was still to render (``compose``, services.mail.deferred: it
  holds a personal link's token); the subject keeps its words without the person's name. If
  it was still queued, it is failed instead of sent. An email of the same event sent to
  someone else (a head of delegation's list, a forwarded-invitation notice) only loses the
  person's address and name.
- An audit entry about the person (their registration, invitee or emails), or whose details
  name their address, keeps only the details in ``SAFE_DETAILS``: statuses, counts, ids, the
  reference. Everything else (addresses, reasons, notes, SMTP answers) is removed.
- Columns are written through the model (some are encrypted), never with raw SQL.
"""

import secrets
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy import String, and_, cast, false, or_, select

from ...extensions import db
from ...models import (
    AuditEntry,
    Honorific,
    Invitee,
    Nomination,
    OutboxEmail,
    OutboxStatus,
    Registration,
    SubstitutionRequest,
    SubstitutionStatus,
)
from ..registration.photos import drop_photo_rows
from ..registration.registration_codes import hash_token

#: LIKE pattern of every erased address
ERASED_PATTERN = "erased-%@invalid"
#: what an erased person's name becomes (shown as is in lists)
ERASED_NAME = "—"
#: what replaces a person's address or name inside other people's emails
ERASED_MARK = "[erased]"
#: audit details that never hold personal data
SAFE_DETAILS = frozenset({
    "status", "source", "reactivated", "invitee_id", "forwarded", "fields", "changed",
    "by_staff", "delegation_id", "reference", "checked_in_at", "checked_in_by_id", "what",
    "count", "channel", "previous", "response", "answered_on", "registration_id",
    "registration", "previous_registration_id", "linked_existing", "members", "kind",
})
#: shortest name replaced inside other people's emails (shorter ones would hit other words)
_NAME_MIN = 4


@dataclass(frozen=True)
class PersonTraces:
    """What identifies a person inside texts: their address and their name as written."""

    email: str
    name: str

    def replace_in(self, text: str, *, html: bool = False) -> str:
        """``text`` with the address and the name replaced by ERASED_MARK."""
        for trace in (self.email, self.name if len(self.name) >= _NAME_MIN else ""):
            if trace and text:
                text = text.replace(trace, ERASED_MARK)
                if html:
                    text = text.replace(str(escape(trace)), ERASED_MARK)
        return text


def is_erased_address(email: str | None) -> bool:
    """True for an address written by an erasure."""
    return bool(email) and email.startswith("erased-") and email.endswith("@invalid")


# --- the person's own rows -------------------------------------------------------------------

def anonymise_registration_row(registration: Registration) -> None:
    """Empty what names the delegate and delete their photo; keep what the counts need
    (no flush)."""
    registration.honorific = Honorific.OTHER
    for key in ("honorific_other", "family_name", "organisation", "position", "phone",
                "dietary", "accessibility", "decision_reason"):
        setattr(registration, key, "")
    registration.given_name = ERASED_NAME
    registration.email = f"erased-{registration.id}@invalid"
    registration.answers.clear()
    registration.links.clear()
    drop_photo_rows(registration)
    drop_substitution_requests(registration)


def drop_substitution_requests(registration: Registration) -> int:
    """Delete the registration's PENDING substitution requests (they hold the new person's
    details, encrypted); decided ones keep no details (``data`` is None once decided) and lose
    the organizer's reason. Returns how many were deleted (no flush)."""
    deleted = 0
    for request in db.session.scalars(select(SubstitutionRequest).where(
            SubstitutionRequest.registration_id == registration.id)).all():
        if request.status == SubstitutionStatus.PENDING.value:
            db.session.delete(request)
            deleted += 1
        else:
            request.data = None
            request.reason = ""
    return deleted


def scrub_nomination(invitee: Invitee) -> list[int]:
    """Erase what names the members of ``invitee``'s nomination (names, emails, positions,
    reasons) and delete its letter and the members' photos; keep statuses, roles, languages
    and the mission (an organisation, not a person). The ids of the nominations touched."""
    nomination = db.session.scalar(select(Nomination).where(Nomination.invitee_id == invitee.id))
    if nomination is None:
        return []
    for member in nomination.members:
        drop_photo_rows(member)
        member.honorific_other = ""
        member.given_name = ERASED_NAME
        member.family_name = ""
        member.email = f"erased-member-{member.id}@invalid"
        member.position = ""
        member.decision_reason = ""
    letter = nomination.letter
    nomination.letter = None
    if letter is not None:
        db.session.delete(letter)
    nomination.letter_reference = ""
    nomination.return_reason = ""
    return [nomination.id]


def anonymise_invitee_row(invitee: Invitee) -> None:
    """Empty what names the invitee; its link stops working; keep country, group, answer."""
    invitee.honorific = None
    for key in ("honorific_other", "organisation", "position", "note", "decline_reason",
                "response_note", "bounce_reason"):
        setattr(invitee, key, "")
    invitee.name = ERASED_NAME
    invitee.email = f"erased-invitee-{invitee.id}@invalid"
    invitee.token_salt = secrets.token_hex(16)
    invitee.token_hash = hash_token(secrets.token_urlsafe(32))  # a token nobody holds


# --- emails ----------------------------------------------------------------------------------

def emails_of(event_id: int, email: str, *, invitee_id: int | None = None,
              by_address: bool = True, with_bodies_naming: bool = True) -> list[OutboxEmail]:
    """The event's outbox rows sent to ``email`` (``by_address``) or to invitee
    ``invitee_id``, and (``with_bodies_naming``) those whose text names ``email``."""
    conditions = []
    if by_address:
        conditions.append(OutboxEmail.recipient == email)
    if invitee_id is not None:
        conditions.append(OutboxEmail.invitee_id == invitee_id)
    if not (conditions or with_bodies_naming) or not email:
        return []
    query = select(OutboxEmail).where(OutboxEmail.event_id == event_id).order_by(OutboxEmail.id)
    if not with_bodies_naming:
        return list(db.session.scalars(query.where(or_(*conditions))))
    # the bodies are encrypted (seminar_app.crypto): searched here, not in SQL
    return [row for row in db.session.scalars(query)
            if (by_address and row.recipient == email) or email in (row.body_text or "")
            or (invitee_id is not None and row.invitee_id == invitee_id)]


def _email_state(row: OutboxEmail) -> tuple:
    return (row.recipient, row.recipient_name, row.subject, row.body_text, row.body_html,
            row.status, row.last_error, len(row.attachments or []), len(row.headers or {}),
            row.compose is not None)


def _wipe(row: OutboxEmail, traces: PersonTraces) -> None:
    row.recipient = f"erased-{row.id}@invalid"
    row.recipient_name = ""
    row.subject = traces.replace_in(row.subject)
    row.body_text = ""
    row.body_html = ""
    row.attachments = []
    row.headers = {}
    row.compose = None  # what the worker was to render: the personal link's token included
    row.last_error = traces.replace_in(row.last_error or "")
    if row.status == OutboxStatus.QUEUED:
        row.status = OutboxStatus.FAILED
        row.next_attempt_at = None
        row.last_error = "Not sent: the recipient's personal data was erased."


def _mask(row: OutboxEmail, traces: PersonTraces) -> None:
    row.subject = traces.replace_in(row.subject)
    row.body_text = traces.replace_in(row.body_text)
    row.body_html = traces.replace_in(row.body_html, html=True)


def scrub_emails(event_id: int, rows: list[OutboxEmail], traces: PersonTraces, *,
                 invitee_id: int | None = None) -> int:
    """Wipe the rows sent to the person, mask them in the others; the number changed."""
    changed = 0
    for row in rows:
        before = _email_state(row)
        own = row.recipient == traces.email or (
            invitee_id is not None and row.invitee_id == invitee_id)
        if own and not is_erased_address(row.recipient):
            _wipe(row, traces)
        else:
            _mask(row, traces)
        changed += _email_state(row) != before
    return changed


# --- the audit log ---------------------------------------------------------------------------

def about(objects: list[tuple[str, list[int]]]):
    """A condition: the audit entry is about one of ``objects`` ((table name, ids) pairs)."""
    parts = [and_(AuditEntry.object_type == table, AuditEntry.object_id.in_(ids))
             for table, ids in objects if ids]
    return or_(*parts) if parts else false()


def _safe(details: dict, traces: PersonTraces) -> dict:
    kept = {}
    for key, value in (details or {}).items():
        if key in SAFE_DETAILS:
            kept[key] = traces.replace_in(value) if isinstance(value, str) else value
    return kept


def scrub_audit(event_id: int, traces: PersonTraces, *,
                objects: list[tuple[str, list[int]]]) -> int:
    """Keep only safe details in the entries about ``objects`` or naming the person's address
    in ``event_id``; the number of entries changed."""
    naming = and_(AuditEntry.event_id == event_id,
                  cast(AuditEntry.details, String).contains(traces.email, autoescape=True)) \
        if traces.email else false()
    changed = 0
    for entry in db.session.scalars(select(AuditEntry).where(or_(about(objects), naming))):
        kept = _safe(entry.details, traces)
        if kept != (entry.details or {}):
            entry.details = kept
            changed += 1
    return changed
