"""Public registration of a delegation: /events/<slug>/register/delegation.

The head of delegation fills in their own registration and one row per member; the whole
delegation is registered in one go (services.registration.delegations) and the head lands on their
own
personal page. Each member receives their own email with their personal link. A refused
member row shows its error on that row; nothing is registered until every row is right.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from ..extensions import limiter
from ..models import Delegation, Event, RegistrationStatus
from ..services.errors import ServiceError
from ..services.events.listing import find_visible_event
from ..services.registration import delegations as delegation_service
from ..view_helpers import attach_error, form_status
from . import bp
from .delegation_forms import (
    DEFAULT_ROWS,
    build_delegation_form,
    delegation_template_context,
    members_data,
    requested_rows,
)
from .forms import ManageLinkResendForm, form_data
from .views import _refusal, _register_limit

#: how many rows the "more rows" link adds
MORE_ROWS = 5


def attach_member_error(form, rows: list[int], error: delegation_service.MemberError) -> int:
    """Show ``error`` on its member row (``rows``: row index of each member); the use case
    rolled back already."""
    entry = form.members.entries[rows[error.row]].form if error.row < len(rows) else None
    field = entry._fields.get(error.field) if entry is not None and error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
    return 409 if error.conflict else 422


def submit_delegation(event: Event, form, *, source, actor):
    """Validate and register; (delegation, tokens) on success, else (None, status)."""
    if not form.validate_on_submit():
        return None, form_status(form)
    data, answers = form_data(form)
    members, rows = members_data(form)
    try:
        return delegation_service.register_delegation(
            event, data, members, source=source, actor=actor, answers=answers,
            name=form.delegation_name.data or "")
    except delegation_service.MemberError as error:
        return None, attach_member_error(form, rows, error)
    except ServiceError as error:
        return None, attach_error(form, error)


def delegation_thanks(delegation: Delegation) -> str:
    """The one-time message after registering ``delegation``."""
    number = len(delegation.members)
    status = delegation.head.status if delegation.head is not None else None
    if status == RegistrationStatus.CONFIRMED:
        return ngettext("Thank you — the delegation of %(num)d person is registered and "
                        "confirmed. Each member receives their own email with a personal link.",
                        "Thank you — the delegation of %(num)d people is registered and "
                        "confirmed. Each member receives their own email with a personal link.",
                        number)
    if status == RegistrationStatus.PENDING:
        return ngettext("Thank you — the delegation of %(num)d person was received and waits "
                        "for approval by the organizers. Each member receives their own email.",
                        "Thank you — the delegation of %(num)d people was received and waits "
                        "for approval by the organizers. Each member receives their own email.",
                        number)
    return ngettext("Thank you — the event has no room for the delegation of %(num)d person, so "
                    "it is on the waiting list and will be confirmed whole when places free "
                    "up. Each member receives their own email.",
                    "Thank you — the event has no room for the delegation of %(num)d people, "
                    "so it is on the waiting list and will be confirmed whole when places free "
                    "up. Each member receives their own email.", number)


@bp.route("/events/<slug>/register/delegation", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register_delegation(slug: str):
    """A head of delegation registers themselves and their members in one submission."""
    event, _preview = find_visible_event(slug, current_user)
    refusal = _refusal(event)
    if refusal is not None:
        return refusal
    rows = requested_rows(request.args)
    form = build_delegation_form(event, rows=rows)
    delegation, result = submit_delegation(event, form, source=delegation_service.ONLINE,
                                           actor=None)
    if delegation is None:
        status = 200 if request.method == "GET" else result
        return render_template(
            "registration/delegation_create.html", event=event, form=form,
            action=url_for(".register_delegation", slug=event.slug,
                           **({"rows": rows} if rows != DEFAULT_ROWS else {})),
            more_rows_url=url_for(".register_delegation", slug=event.slug,
                                  rows=min(len(form.members.entries) + MORE_ROWS,
                                           delegation_service.MAX_MEMBERS)),
            resend_form=ManageLinkResendForm(formdata=None),
            **delegation_template_context(form)), status
    flash(delegation_thanks(delegation), "success")
    return redirect(url_for(".show", token=result[delegation.head_registration_id]), code=303)
