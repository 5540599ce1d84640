"""An event's document settings: the letterhead and the signatory of visa invitation letters."""

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import use_case
from ...extensions import db
from ...models import CoHost, Event, Registration, RegistrationStatus
from ..audit import record_action
from ..errors import ServiceError
from .uploads import create_image_upload

log = logging.getLogger(__name__)

#: a letterhead spans the page: keep up to 2000 pixels on its longest side
LETTERHEAD_MAX_SIDE = 2000
SIGNATORY_MAX_LENGTH = 200


@use_case
def update_document_settings(event: Event, *, signatory_name: str, signatory_title: str,
                             letterhead: bytes | None = None, letterhead_filename: str = "",
                             remove_letterhead: bool = False) -> Event:
    """Set the letters' signatory; replace or remove the letterhead image."""
    name, title = signatory_name.strip(), signatory_title.strip()
    for value, field in ((name, "signatory_name"), (title, "signatory_title")):
        if len(value) > SIGNATORY_MAX_LENGTH:
            raise ServiceError(_("At most %(max)d characters.", max=SIGNATORY_MAX_LENGTH),
                               field=field)
    event.letter_signatory_name, event.letter_signatory_title = name, title
    old = event.letterhead
    if letterhead:
        event.letterhead = create_image_upload(data=letterhead, filename=letterhead_filename,
                                               field="letterhead", max_side=LETTERHEAD_MAX_SIDE)
    elif remove_letterhead:
        event.letterhead = None
    db.session.flush()
    changed_letterhead = old is not event.letterhead
    if old is not None and changed_letterhead and not _upload_in_use(old.id):
        db.session.delete(old)
    record_action("event.documents_update", event, signatory_name=name,
                  letterhead_changed=changed_letterhead)
    return event


def _upload_in_use(upload_id: int) -> bool:
    """True when another event's letterhead or a co-host's logo still uses the upload."""
    as_letterhead = select(Event.id).where(Event.letterhead_id == upload_id).limit(1)
    as_logo = select(CoHost.id).where(CoHost.logo_id == upload_id).limit(1)
    return bool(db.session.scalar(as_letterhead) or db.session.scalar(as_logo))


def visa_letter_registrations(event: Event) -> list[Registration]:
    """The event's registrations that asked for a visa letter, confirmed ones first, by name."""
    query = (select(Registration)
             .where(Registration.event_id == event.id, Registration.needs_visa_letter.is_(True),
                    Registration.status.notin_([RegistrationStatus.CANCELLED,
                                                RegistrationStatus.REJECTED]))
             .order_by(Registration.sort_name, Registration.given_name, Registration.id))
    rows = db.session.scalars(query).all()
    return sorted(rows, key=lambda r: r.status != RegistrationStatus.CONFIRMED)


def badge_registrations(event: Event, status: RegistrationStatus) -> list[Registration]:
    """The event's registrations in ``status``, by country then name, for badge printing."""
    query = (select(Registration)
             .where(Registration.event_id == event.id, Registration.status == status)
             .order_by(Registration.country, Registration.sort_name,
                       Registration.given_name, Registration.id))
    return list(db.session.scalars(query))
