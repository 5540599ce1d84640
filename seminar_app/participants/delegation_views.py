"""Staff register a delegation on behalf of its head: /manage/events/<id>/registrations/
delegation/new (also while online registration is closed; no approval step, capacity and
quotas apply to every member)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..registration.delegation_forms import (
    DEFAULT_ROWS,
    build_delegation_form,
    delegation_template_context,
    requested_rows,
)
from ..registration.delegation_views import MORE_ROWS, delegation_thanks, submit_delegation
from ..services.access import Permission
from ..services.registration import delegations as delegation_service
from ..view_helpers import load_event
from . import bp


@bp.context_processor
def _delegation_helpers() -> dict:
    return {"delegation_members": delegation_service.delegation_members}


@bp.route("/events/<int:event_id>/registrations/delegation/new", methods=["GET", "POST"])
@login_required
def delegation_create(event_id: int):
    """Register a head of delegation and their members on their behalf."""
    event = load_event(event_id, Permission.MANAGE)
    rows = requested_rows(request.args)
    form = build_delegation_form(event, rows=rows, for_staff=True)
    delegation, result = submit_delegation(event, form, source=delegation_service.STAFF,
                                           actor=current_user)
    if delegation is None:
        status = 200 if request.method == "GET" else result
        return render_template(
            "participants/delegation_form.html", event=event, form=form,
            action=url_for(".delegation_create", event_id=event.id,
                           **({"rows": rows} if rows != DEFAULT_ROWS else {})),
            more_rows_url=url_for(".delegation_create", event_id=event.id,
                                  rows=min(len(form.members.entries) + MORE_ROWS,
                                           delegation_service.MAX_MEMBERS)),
            **delegation_template_context(form)), status
    flash(delegation_thanks(delegation), "success")
    return redirect(url_for(".registration_show", event_id=event.id,
                            registration_id=delegation.head_registration_id), code=303)
