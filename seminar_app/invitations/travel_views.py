"""A mission's focal point gives the travel and accommodation of an accredited nominee:
GET/POST /i/<token>/nominate/members/<id>/travel (the rules and the page are the personal
link's: registration.travel_views.travel_page). Only members accredited (with a
registration) of this invitee's nomination; any other id 404. Rate-limited like every /i/
page.
"""

from flask import abort, url_for
from flask_babel import gettext as _

from ..models import NominationMemberStatus
from ..registration.travel_views import travel_page
from ..services.errors import ServiceError
from ..services.registration import nominations as nomination_service
from . import public_bp
from .nominate_views import _nomination_or_404, _organisation
from .rsvp import _gone, _page_args, invitation_link_limit


@public_bp.route("/i/<token>/nominate/members/<int:member_id>/travel",
                 methods=["GET", "POST"])
@invitation_link_limit
def nominate_member_travel(token: str, member_id: int):
    """The focal point gives an accredited member's travel and accommodation."""
    invitee = _organisation(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    nomination = _nomination_or_404(invitee)
    try:
        member = nomination_service.get_member(nomination, member_id)
    except ServiceError:
        abort(404)
    registration = member.registration
    if member.status != NominationMemberStatus.ACCREDITED.value or registration is None:
        abort(404)
    return travel_page(
        registration, by="focal_point",
        action=url_for(".nominate_member_travel", **_page_args(token), member_id=member.id),
        back=url_for(".nominate", **_page_args(token), _anchor="members"),
        heading=_("Travel and accommodation of %(name)s", name=member.full_name))
