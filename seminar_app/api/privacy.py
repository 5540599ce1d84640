"""Personal data of one registration: erase it now, read everything held on the delegate.

Both need the manage right on the event (``privacy.can_see_passport``), like the participant
page's buttons; erasing also needs a token that may write. Rules: services.privacy.retention.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Registration
from ..services.access import Permission
from ..services.policies import can_see_passport, record_passport_read
from ..services.privacy import retention
from . import core
from .core import ApiError, bp
from .serializers import registration_json


def _load(event_id: int, registration_id: int, *, write: bool):
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=write)
    if not can_see_passport(core.acting_user(), event):
        raise ApiError(403, _("You do not have the right to do this on this event."))
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise ApiError(404, _("No registration of this event has this number."))
    return event, registration


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/erase")
def erase_registration(event_id: int, registration_id: int):
    """Erase the delegate's personal data now (already erased: 409); the anonymised record."""
    _event, registration = _load(event_id, registration_id, write=True)
    counts = retention.erase_registration(registration, actor=core.acting_user())
    registration = db.session.scalar(
        select(Registration).where(Registration.id == registration.id)
        .execution_options(populate_existing=True))
    return core.data_response(registration_json(registration, with_passport=True),
                              erased=counts.as_dict())


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>/personal-data")
def registration_personal_data(event_id: int, registration_id: int):
    """Everything held on the delegate (a subject access request); the read is audited."""
    event, registration = _load(event_id, registration_id, write=False)
    data = retention.export_subject_data(registration)
    record_passport_read(core.acting_user(), event, "api_subject_access",
                         registration=registration)
    return core.data_response(data)
