"""The documents page's list of delegates who asked for a visa letter, a page at a time."""

from sqlalchemy import case, select

from ...extensions import db
from ...models import Event, Registration, RegistrationStatus

#: delegates per page of the visa letter list
PER_PAGE = 50


def visa_letter_page(event: Event, page: int, *, per_page: int = PER_PAGE):
    """Page ``page`` (a Flask-SQLAlchemy Pagination) of the event's registrations that asked for
    a visa letter and are not cancelled or rejected: confirmed ones first, then by name (the
    order of document_settings.visa_letter_registrations)."""
    query = (select(Registration)
             .where(Registration.event_id == event.id, Registration.needs_visa_letter.is_(True),
                    Registration.status.notin_([RegistrationStatus.CANCELLED,
                                                RegistrationStatus.REJECTED]))
             .order_by(case((Registration.status == RegistrationStatus.CONFIRMED, 0), else_=1),
                       Registration.sort_name, Registration.given_name, Registration.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
