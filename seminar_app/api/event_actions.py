"""Staff actions the web pages have and the API gained: unpublishing an event, and a new
personal invitation link for an invitee (the same service functions as the staff pages)."""

from ..links import external_url
from ..services.access import Permission
from ..services.events import events as event_service
from ..services.invitations import invitation_status
from ..services.invitations import invitations as invitation_service
from . import core
from .core import bp
from .serializers import event_json, invitee_json


@bp.post("/events/<int:event_id>/unpublish")
def unpublish_event(event_id: int):
    """Turn a published event back into a draft (not published: 409)."""
    event, _permissions = core.load_event(event_id, Permission.MANAGE, write=True)
    event = event_service.unpublish_event(event)
    return core.data_response(event_json(event))


@bp.post("/events/<int:event_id>/invitees/<int:invitee_id>/link")
def new_invitee_link(event_id: int, invitee_id: int):
    """Issue a new personal link (the old one stops working; audited). The new address is
    in this answer only: nothing else shows it again."""
    event, _permissions = core.load_event(event_id, Permission.INVITE, write=True)
    invitee = invitation_service.get_invitee(event, invitee_id)
    invitee = invitation_service.issue_new_link(invitee, actor=core.acting_user())
    url = external_url("rsvp.show", token=invitation_service.invitee_token(invitee))
    return core.data_response(
        invitee_json(invitee, invitation_status.invitee_progress(invitee)), url=url)
