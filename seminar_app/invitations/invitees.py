"""The invitation list (with each invitee's status and the event's funnel) and one invitee.

Every view: login required -> the event (404) with Permission.INVITE (403) -> the invitee,
which must belong to the event (404) -> form -> one service call -> flash -> redirect 303.
"""

import logging
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..i18n import country_name
from ..links import external_url
from ..models import Event, Invitee
from ..outbox.forms import STATUS_LABELS as EMAIL_STATUS_LABELS
from ..services.access import Permission
from ..services.documents.charts import bar_chart_svg
from ..services.errors import ServiceError
from ..services.invitations import invitations as service
from ..services.invitations.invitation_status import (
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_ORDER,
    InviteeFilters,
    invitation_numbers,
    invitee_progress,
    invitees_page,
    list_choices,
    progress_of,
)
from ..services.mail.outbox_admin import describe_error
from ..services.policies import can_link_invitation
from ..services.registration.registration_labels import HONORIFIC_LABELS, honorific_text
from ..services.registration.registration_labels import STATUS_LABELS as REGISTRATION_STATUS_LABELS
from ..view_helpers import (
    attach_error,
    form_status,
    load_event_child,
    load_event_with_permissions,
    requested_page,
)
from . import bp
from .forms_invitees import (
    CHANNEL_LABELS,
    BounceForm,
    InviteeForm,
    LinkRegistrationForm,
    ResponseForm,
)

log = logging.getLogger(__name__)
PER_PAGE = 50
LANGUAGE_LABELS = {"en": "English", "id": "Bahasa Indonesia"}


@bp.context_processor
def _invitee_labels() -> dict:
    return {"INVITEE_STATUS_LABELS": STATUS_LABELS, "INVITEE_STATUS_COLOURS": STATUS_COLOURS,
            "CHANNEL_LABELS": CHANNEL_LABELS, "INVITEE_LANGUAGES": LANGUAGE_LABELS,
            "invitee_name": invitee_display_name}


def invitee_display_name(invitee: Invitee) -> str:
    """Honorific and name, e.g. "Amb. Retno Marsudi"."""
    return " ".join(part for part in (honorific_text(invitee), invitee.name) if part)


def _load(event_id: int) -> tuple[Event, dict]:
    """The event (404/403) and what the event tabs need to know."""
    event, permissions = load_event_with_permissions(event_id, Permission.INVITE)
    return event, {"can_manage": Permission.MANAGE in permissions,
                   "can_checkin": Permission.CHECKIN in permissions, "can_invite": True}


def _invitee(event: Event, invitee_id: int) -> Invitee:
    return load_event_child(Invitee, invitee_id, event)


def _show_url(event: Event, invitee: Invitee) -> str:
    return url_for(".invitee_show", event_id=event.id, invitee_id=invitee.id)


# --- the list --------------------------------------------------------------------------------

def _funnel_chart(numbers):
    return bar_chart_svg([(label, count) for _key, label, count in numbers.steps()],
                         title=_("Invitation funnel"), label_header=_("Step"),
                         value_header=_("Invitees"))


@bp.get("/events/<int:event_id>/invitations")
@login_required
def invitees(event_id: int):
    """The invitation list: filters, pages, each invitee's status, counts and the funnel."""
    event, tabs = _load(event_id)
    filters = InviteeFilters.from_args(request.args)
    numbers = invitation_numbers(event)
    page = invitees_page(event, filters, page=requested_page(), per_page=PER_PAGE,
                         total=filters.total_from(numbers.counts))
    codes, groups = list_choices(event)
    countries = sorted(((code, country_name(code)) for code in codes),
                       key=lambda item: item[1].casefold())
    return render_template(
        "invitations/invitee_list.html", event=event, page=page, filters=filters,
        progress=progress_of(list(page.items)), counts=numbers.counts,
        statuses=STATUS_ORDER, funnel=numbers.funnel, chart=_funnel_chart(numbers.funnel),
        groups=groups, countries=countries, **tabs)


# --- adding and changing ---------------------------------------------------------------------

def _render_form(event, tabs, form, invitee=None, status=200):
    return render_template("invitations/invitee_form.html", event=event, form=form,
                           invitee=invitee, groups=service.invitee_groups(event), **tabs), status


@bp.route("/events/<int:event_id>/invitations/new", methods=["GET", "POST"])
@login_required
def invitee_create(event_id: int):
    """Add one invitee."""
    event, tabs = _load(event_id)
    form = InviteeForm(data={"language": event.language_list[0] if event.language_list
                             else "en"} if request.method == "GET" else None)
    if not form.validate_on_submit():
        return _render_form(event, tabs, form, status=form_status(form))
    try:
        invitee = service.add_invitee(event, form.service_data(), actor=current_user)
    except ServiceError as error:
        return _render_form(event, tabs, form, status=attach_error(form, error))
    flash(_("%(name)s was added to the invitation list.", name=invitee.name), "success")
    return redirect(_show_url(event, invitee), 303)


@bp.route("/events/<int:event_id>/invitations/<int:invitee_id>/edit", methods=["GET", "POST"])
@login_required
def invitee_edit(event_id: int, invitee_id: int):
    """Change an invitee's details (their personal link stays the same)."""
    event, tabs = _load(event_id)
    invitee = _invitee(event, invitee_id)
    form = InviteeForm(obj=invitee)
    if request.method == "GET":
        form.honorific.data = invitee.honorific.value if invitee.honorific else ""
    if not form.validate_on_submit():
        return _render_form(event, tabs, form, invitee, status=form_status(form))
    try:
        service.update_invitee(invitee, form.service_data(), actor=current_user)
    except ServiceError as error:
        return _render_form(event, tabs, form, invitee, status=attach_error(form, error))
    flash(_("The invitee's details were saved."), "success")
    return redirect(_show_url(event, invitee), 303)


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/delete")
@login_required
def invitee_delete(event_id: int, invitee_id: int):
    """Remove an invitee who has not registered."""
    event, _tabs = _load(event_id)
    invitee = _invitee(event, invitee_id)
    name = invitee.name
    try:
        service.delete_invitee(invitee, actor=current_user)
    except ServiceError as error:
        flash(error.message, "danger")
        return redirect(_show_url(event, invitee), 303)
    flash(_("%(name)s was removed from the invitation list.", name=name), "success")
    return redirect(url_for(".invitees", event_id=event.id), 303)


# --- one invitee -----------------------------------------------------------------------------

def _personal_link(invitee: Invitee) -> str:
    """The invitee's /i/<token> link; "" while the public pages are not mounted."""
    try:
        return external_url("rsvp.show", token=service.invitee_token(invitee))
    except BuildError:
        return ""


def _render_show(event, tabs, invitee, *, response_form=None, link_form=None, bounce_form=None,
                 status=200):
    emails = service.invitee_emails(invitee)
    if response_form is None:
        response_form = ResponseForm(formdata=None, prefix="answer",
                                     data={"answered_on": date.today()})
    return render_template(
        "invitations/invitee_show.html", event=event, invitee=invitee,
        progress=invitee_progress(invitee), emails=emails, describe_error=describe_error,
        personal_link=_personal_link(invitee), HONORIFIC_LABELS=HONORIFIC_LABELS,
        email_status_labels={s.value: label for s, label in EMAIL_STATUS_LABELS.items()},
        REGISTRATION_STATUS_LABELS=REGISTRATION_STATUS_LABELS,
        response_form=response_form,
        link_form=link_form or LinkRegistrationForm(formdata=None, prefix="link"),
        can_link=can_link_invitation(current_user, event),
        bounce_form=bounce_form or BounceForm(formdata=None, prefix="bounce"),
        **tabs), status


@bp.get("/events/<int:event_id>/invitations/<int:invitee_id>")
@login_required
def invitee_show(event_id: int, invitee_id: int):
    """One invitee: details, status and steps, their emails, their link, staff actions."""
    event, tabs = _load(event_id)
    return _render_show(event, tabs, _invitee(event, invitee_id))


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/link")
@login_required
def invitee_new_link(event_id: int, invitee_id: int):
    """Issue a new personal link; the old one stops working."""
    event, _tabs = _load(event_id)
    invitee = _invitee(event, invitee_id)
    service.issue_new_link(invitee, actor=current_user)
    flash(_("A new personal link was issued; the old link no longer works."), "success")
    return redirect(_show_url(event, invitee), 303)


def _invitee_action(event_id: int, invitee_id: int, form_class, prefix: str, act, done: str):
    """One staff action from a form of the invitee page: check the form, run ``act(invitee,
    form)`` (a service call), then flash ``done`` and go back; refusals re-render the page
    with the form's errors (422, or the service error's status)."""
    event, tabs = _load(event_id)
    invitee = _invitee(event, invitee_id)
    form = form_class(prefix=prefix)
    form_key = {"answer": "response_form", "link": "link_form", "bounce": "bounce_form"}[prefix]
    if not form.validate_on_submit():
        return _render_show(event, tabs, invitee, status=422, **{form_key: form})
    try:
        act(invitee, form)
    except ServiceError as error:
        status = attach_error(form, error)
        return _render_show(event, tabs, invitee, status=status, **{form_key: form})
    flash(done, "success")
    return redirect(_show_url(event, invitee), 303)


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/response")
@login_required
def invitee_record_response(event_id: int, invitee_id: int):
    """Record an answer received outside the system (note verbale, letter, phone...)."""
    return _invitee_action(
        event_id, invitee_id, ResponseForm, "answer",
        lambda invitee, form: service.record_offline_response(
            invitee, response=form.response.data, channel=form.channel.data,
            answered_on=form.answered_on.data, note=form.note.data or "", actor=current_user),
        _("The answer was recorded."))


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/registration")
@login_required
def invitee_link_registration(event_id: int, invitee_id: int):
    """Link the invitation to a registration of this event (by reference or email); only for
    who may see the registration's data (``policies.can_link_invitation``)."""
    if not can_link_invitation(current_user, _load(event_id)[0]):
        abort(403)
    return _invitee_action(
        event_id, invitee_id, LinkRegistrationForm, "link",
        lambda invitee, form: service.link_registration(invitee, form.lookup.data,
                                                        actor=current_user),
        _("The invitation is now linked to the registration."))


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/bounce")
@login_required
def invitee_mark_bounced(event_id: int, invitee_id: int):
    """Record that mail to the invitee's address bounces."""
    return _invitee_action(
        event_id, invitee_id, BounceForm, "bounce",
        lambda invitee, form: service.mark_bounced(invitee, form.reason.data or "",
                                                   actor=current_user),
        _("The address was marked as bouncing."))


@bp.post("/events/<int:event_id>/invitations/<int:invitee_id>/bounce/clear")
@login_required
def invitee_clear_bounce(event_id: int, invitee_id: int):
    """Remove a recorded bounce."""
    event, _tabs = _load(event_id)
    invitee = _invitee(event, invitee_id)
    try:
        service.clear_bounce(invitee, actor=current_user)
    except ServiceError as error:
        flash(error.message, "warning")
    else:
        flash(_("The bounce was cleared."), "success")
    return redirect(_show_url(event, invitee), 303)
