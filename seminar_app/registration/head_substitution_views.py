"""The head of a delegation replaces a member from their own personal link.

GET /r/<token>/delegation/members/<id>/replace shows the form for the person who takes the
member's place; the POST hands the registration, and its place, to that person
(services.registration.head_substitution.replace_member). Only the head of that member's
delegation: a member's link gets 403 (as for the head's other actions), another delegation's
member, the head themselves or an unknown id 404. A member who can no longer be replaced
(checked in, cancelled, event over...) gets the reason with a 409. Like every /r/ page:
rate-limited per address, never cached.
"""

import logging

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import render_error
from ..services.errors import ServiceError
from ..services.registration import head_substitution, substitution
from ..services.registration import registrations as registration_service
from ..services.registration.registration_labels import display_name
from ..view_helpers import attach_error, form_status
from . import bp
from .forms import form_data
from .substitution_forms import build_substitution_form
from .views import manage_link_limit

log = logging.getLogger(__name__)


@bp.route("/r/<token>/delegation/members/<int:member_id>/replace", methods=["GET", "POST"])
@manage_link_limit
def replace_delegation_member(token: str, member_id: int):
    """GET: the form for the member's replacement; POST: replace the member."""
    head = registration_service.get_registration_by_token(token)
    member = head_substitution.managed_member(head, member_id)
    refusal = substitution.substitution_refusal(member)
    if refusal is not None:
        return render_error(409, refusal)
    form = build_substitution_form(member)
    form.submit.label.text = _l("Replace this member")
    status = form_status(form)
    if form.validate_on_submit():
        data, _answers = form_data(form)
        old_name = display_name(member)
        try:
            registration, _token = head_substitution.replace_member(head, member.id, data)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("%(old)s was replaced by %(new)s, who keeps the place and receives their "
                    "own email with a new reference and personal link. %(old)s was told; "
                    "their link and badge no longer work.", old=old_name,
                    new=display_name(registration)), "success")
            return redirect(url_for(".show", token=token, _anchor="delegation"), code=303)
    return render_template("registration/head_replace_member.html", form=form,
                           registration=member, member_name=display_name(member),
                           event=member.event, token=token), status
