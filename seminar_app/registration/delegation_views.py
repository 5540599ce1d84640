"""Public registration of a delegation: /events/<slug>/register/delegation.

The head of delegation fills in their own registration and one row per member; the whole
delegation is registered in one go (services.registration.delegations) and the head lands on their
own
personal page. Each member receives their own email with their personal link. A refused
member row shows its error on that row; nothing is registered until every row is right.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..extensions import limiter
from ..models import Delegation, Event, RegistrationStatus
from ..services.errors import ServiceError
from ..services.events.listing import find_visible_event
from ..services.policies import manages_delegation
from ..services.registration import delegations as delegation_service
from ..services.registration import registrations as registration_service
from ..services.registration.registration_labels import display_name, status_label
from ..view_helpers import attach_error, form_status
from . import bp
from .delegation_forms import (
    DEFAULT_ROWS,
    DelegationActionForm,
    build_delegation_form,
    build_member_add_form,
    delegation_template_context,
    member_add_data,
    members_data,
    requested_rows,
)
from .forms import ManageLinkResendForm, form_data
from .views import _refusal, _register_limit, manage_link_limit, render_show

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


# --- the head manages the delegation through their personal link ----------------------------

def _head(token: str):
    """The registration of the personal link ``token`` (404/410 as the page itself), which must
    head its delegation: a member's link, or anyone else's, gets a 403."""
    head = registration_service.get_registration_by_token(token)
    if not manages_delegation(head):
        abort(403)
    return head


@bp.post("/r/<token>/delegation/members")
@manage_link_limit
def add_delegation_member(token: str):
    """The head adds a member: registered and emailed like the others (or waiting)."""
    head = _head(token)
    form = build_member_add_form(head.event)
    if not form.validate_on_submit():
        return render_show(head, token, member_form=form, status=form_status(form))
    try:
        member, _token = delegation_service.add_member(head, member_add_data(form))
    except delegation_service.MemberError as error:
        field = form._fields.get(error.field) if error.field else None
        if field is None:
            form.form_errors.append(error.message)
        else:
            field.errors = [*field.errors, error.message]
        return render_show(head, token, member_form=form, status=409 if error.conflict else 422)
    except ServiceError as error:
        status = attach_error(form, error)
        return render_show(head, token, member_form=form, status=status)
    flash(_("%(name)s was added to your delegation (%(status)s) and receives their own email "
            "with a personal link.", name=display_name(member),
            status=status_label(member.status)), "success")
    return redirect(url_for(".show", token=token, _anchor="delegation"), code=303)


@bp.post("/r/<token>/delegation/members/<int:member_id>/remove")
@manage_link_limit
def remove_delegation_member(token: str, member_id: int):
    """The head removes a member: their registration is cancelled and the place returns."""
    head = _head(token)
    if not DelegationActionForm().validate_on_submit():
        abort(400)
    promoted = delegation_service.remove_member(head, member_id)
    flash(_("The member was removed from your delegation; their registration is cancelled "
            "and they have been told by email.") + (" " + ngettext(
                "%(num)d person on the waiting list got the place.",
                "%(num)d people on the waiting list got the places.", len(promoted))
                if promoted else ""), "success")
    return redirect(url_for(".show", token=token, _anchor="delegation"), code=303)


@bp.post("/r/<token>/delegation/members/<int:member_id>/resend")
@manage_link_limit
def resend_delegation_member_link(token: str, member_id: int):
    """The head has a new personal link emailed to a member (their older links stop working)."""
    head = _head(token)
    if not DelegationActionForm().validate_on_submit():
        abort(400)
    member = delegation_service.resend_member_link(head, member_id)
    flash(_("A new personal link was emailed to %(email)s; their earlier links no longer "
            "work.", email=member.email), "success")
    return redirect(url_for(".show", token=token, _anchor="delegation"), code=303)
