"""Organizer pages under /manage/: the event list, event details and life cycle, co-hosts, team.

Every view: login required -> load the event (404) -> check the permission (403) -> form ->
one service call -> flash -> redirect. Rules live in services.events.events.
"""

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..extensions import db
from ..forms import strip_control_characters
from ..models import AgendaSession, CoHost, Event, EventStatus, TeamMember
from ..services.access import (
    Permission,
    can_create_events,
    event_permissions,
    has_permission,
    visible_events_query,
)
from ..services.errors import ServiceError
from ..services.events import events as event_service
from ..view_helpers import (
    attach_error,
    form_status,
    load_event,
    load_event_child,
    requested_page,
    uploaded_bytes,
)
from . import manage_bp
from .forms import (
    CoHostCreateForm,
    CoHostEditForm,
    EventCancelForm,
    EventCreateForm,
    EventEditForm,
    TeamMemberAddForm,
    TeamMemberEditForm,
)

log = logging.getLogger(__name__)
PER_PAGE = 25


# --- the list and creating -------------------------------------------------------------------

@manage_bp.get("/")
@login_required
def index():
    """The events the current user may see, filtered by status and title."""
    query = visible_events_query(current_user)
    status = request.args.get("status", "")
    if status in {s.value for s in EventStatus}:
        query = query.where(Event.status == EventStatus(status))
    search = strip_control_characters(request.args.get("q", "")).strip()[:200]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(Event.title.ilike(pattern, escape="\\"))
    page = db.paginate(query.order_by(Event.start_at.desc(), Event.id.desc()),
                       page=requested_page(), per_page=PER_PAGE, error_out=False)
    # a direct link to the check-in desk where the desk's own permission allows it
    checkin_event_ids = {event.id for event in page.items
                         if has_permission(current_user, event, Permission.CHECKIN)}
    return render_template("manage/event_list.html", page=page, status=status, search=search,
                           statuses=list(EventStatus), checkin_event_ids=checkin_event_ids,
                           can_create=can_create_events(current_user))


@manage_bp.route("/events/new", methods=["GET", "POST"])
@login_required
def event_create():
    """A new draft event (administrators and organizers)."""
    if not can_create_events(current_user):
        abort(403)
    form = EventCreateForm(data={"timezone": "Asia/Jakarta", "languages": ["en"],
                                 "event_type": "seminar", "visibility": "public"})
    if form.validate_on_submit():
        try:
            event = event_service.create_event(owner=current_user, data=form.event_data())
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("manage/event_create.html", form=form), status
        flash(_("The event was created as a draft."), "success")
        return redirect(url_for(".event_overview", event_id=event.id))
    return render_template("manage/event_create.html", form=form), form_status(form)


# --- one event -------------------------------------------------------------------------------

def _render_overview(event: Event, *, cancel_form=None, error: str | None = None, status=200):
    counts = {
        "sessions": db.session.scalar(select(func.count(AgendaSession.id))
                                      .where(AgendaSession.event_id == event.id)),
        "cohosts": len(event.cohosts),
        "team": len(event.team),
    }
    permissions = event_permissions(current_user, event)
    return render_template(
        "manage/event_overview.html", event=event, counts=counts, error=error,
        cancel_form=cancel_form or EventCancelForm(formdata=None),
        can_manage=Permission.MANAGE in permissions, can_invite=Permission.INVITE in permissions,
        can_checkin=Permission.CHECKIN in permissions,
        can_clone=can_create_events(current_user),
    ), status


@manage_bp.get("/events/<int:event_id>")
@login_required
def event_overview(event_id: int):
    """Summary, status and actions of one event."""
    return _render_overview(load_event(event_id, Permission.VIEW))


@manage_bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    """Change an event's details."""
    event = load_event(event_id, Permission.MANAGE)
    form = EventEditForm(data=EventEditForm.initial_data(event))
    if form.validate_on_submit():
        try:
            _event, told = event_service.change_event_details(event, data=form.event_data())
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("manage/event_edit.html", form=form, event=event), status
        flash(_("The changes were saved."), "success")
        if told:  # a new join link (services.events.attendance)
            flash(ngettext("The new online link was emailed to %(num)d delegate attending "
                           "online.", "The new online link was emailed to %(num)d delegates "
                           "attending online.", told), "info")
        return redirect(url_for(".event_overview", event_id=event.id))
    return render_template("manage/event_edit.html", form=form, event=event), form_status(form)


def _life_cycle_action(event_id: int, action, message: str):
    event = load_event(event_id, Permission.MANAGE)
    try:
        action(event)
    except ServiceError as error:
        return _render_overview(event, error=error.message, status=error.status_code)
    flash(message, "success")
    return redirect(url_for(".event_overview", event_id=event.id))


@manage_bp.post("/events/<int:event_id>/publish")
@login_required
def event_publish(event_id: int):
    """Publish a draft."""
    return _life_cycle_action(event_id, event_service.publish_event,
                              _("The event is published."))


@manage_bp.post("/events/<int:event_id>/unpublish")
@login_required
def event_unpublish(event_id: int):
    """Turn a published event back into a draft."""
    return _life_cycle_action(event_id, event_service.unpublish_event,
                              _("The event is a draft again and hidden from visitors."))


@manage_bp.post("/events/<int:event_id>/cancel")
@login_required
def event_cancel(event_id: int):
    """Cancel the event, with an optional reason shown on its page."""
    event = load_event(event_id, Permission.MANAGE)
    form = EventCancelForm()
    if not form.validate_on_submit():
        return _render_overview(event, cancel_form=form, status=422)
    return _life_cycle_action(
        event_id, lambda e: event_service.cancel_event(e, reason=form.reason.data or ""),
        _("The event is cancelled."))


@manage_bp.post("/events/<int:event_id>/clone")
@login_required
def event_clone(event_id: int):
    """A draft copy of the event (details, agenda, co-hosts); opens the copy's edit page."""
    event = load_event(event_id, Permission.MANAGE)
    if not can_create_events(current_user):
        abort(403)
    copy = event_service.clone_event(event, owner=current_user)
    flash(_("This is a copy of the event. Check the dates and the address, then save."),
          "success")
    return redirect(url_for(".event_edit", event_id=copy.id))


# --- co-hosts --------------------------------------------------------------------------------

def _render_cohosts(event: Event, form, status: int = 200):
    return render_template(
        "manage/cohost_list.html", event=event, form=form,
        can_manage=has_permission(current_user, event, Permission.MANAGE),
    ), status


@manage_bp.route("/events/<int:event_id>/cohosts", methods=["GET", "POST"])
@login_required
def cohosts(event_id: int):
    """The event's co-hosts, and the form to add one."""
    event = load_event(event_id, Permission.VIEW)
    form = CoHostCreateForm()
    if request.method == "POST" and not has_permission(current_user, event, Permission.MANAGE):
        abort(403)
    if form.validate_on_submit():
        logo, filename = uploaded_bytes(form.logo.data)
        try:
            event_service.add_cohost(event, name=form.name.data, role=form.role.data or "",
                                     url=form.url.data or "", logo=logo, logo_filename=filename)
        except ServiceError as error:
            return _render_cohosts(event, form, attach_error(form, error))
        flash(_("The co-host was added."), "success")
        return redirect(url_for(".cohosts", event_id=event.id))
    return _render_cohosts(event, form, form_status(form))


@manage_bp.route("/events/<int:event_id>/cohosts/<int:cohost_id>/edit", methods=["GET", "POST"])
@login_required
def cohost_edit(event_id: int, cohost_id: int):
    """Change a co-host's name, role, website or logo."""
    event = load_event(event_id, Permission.MANAGE)
    cohost = load_event_child(CoHost, cohost_id, event)
    form = CoHostEditForm(obj=cohost)
    if form.validate_on_submit():
        logo, filename = uploaded_bytes(form.logo.data)
        try:
            event_service.update_cohost(cohost, name=form.name.data, role=form.role.data or "",
                                        url=form.url.data or "", logo=logo,
                                        logo_filename=filename,
                                        remove_logo=form.remove_logo.data)
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("manage/cohost_edit.html", event=event, cohost=cohost,
                                   form=form), status
        flash(_("The co-host was saved."), "success")
        return redirect(url_for(".cohosts", event_id=event.id))
    return render_template("manage/cohost_edit.html", event=event, cohost=cohost,
                           form=form), form_status(form)


@manage_bp.post("/events/<int:event_id>/cohosts/<int:cohost_id>/delete")
@login_required
def cohost_delete(event_id: int, cohost_id: int):
    """Remove a co-host."""
    event = load_event(event_id, Permission.MANAGE)
    event_service.delete_cohost(load_event_child(CoHost, cohost_id, event))
    flash(_("The co-host was removed."), "success")
    return redirect(url_for(".cohosts", event_id=event.id))


@manage_bp.post("/events/<int:event_id>/cohosts/<int:cohost_id>/move")
@login_required
def cohost_move(event_id: int, cohost_id: int):
    """Move a co-host one place up or down."""
    event = load_event(event_id, Permission.MANAGE)
    cohost = load_event_child(CoHost, cohost_id, event)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    event_service.move_cohost(cohost, direction=direction)
    return redirect(url_for(".cohosts", event_id=event.id))


# --- the team --------------------------------------------------------------------------------

def _render_team(event: Event, form, status: int = 200):
    members = db.session.scalars(
        select(TeamMember).where(TeamMember.event_id == event.id).order_by(TeamMember.id)
    ).all()
    edit_forms = {m.id: TeamMemberEditForm(formdata=None, obj=m, prefix=f"m{m.id}")
                  for m in members}
    return render_template(
        "manage/team_list.html", event=event, form=form, members=members, edit_forms=edit_forms,
        can_manage=has_permission(current_user, event, Permission.MANAGE),
    ), status


@manage_bp.route("/events/<int:event_id>/team", methods=["GET", "POST"])
@login_required
def team(event_id: int):
    """The event's team, and the form to add a staff account to it."""
    event = load_event(event_id, Permission.VIEW)
    form = TeamMemberAddForm()
    if request.method == "POST" and not has_permission(current_user, event, Permission.MANAGE):
        abort(403)
    if form.validate_on_submit():
        try:
            event_service.add_team_member(
                event, email=form.email.data, can_manage=form.can_manage.data,
                can_invite=form.can_invite.data, can_checkin=form.can_checkin.data)
        except ServiceError as error:
            return _render_team(event, form, attach_error(form, error))
        flash(_("The team member was added."), "success")
        return redirect(url_for(".team", event_id=event.id))
    return _render_team(event, form, form_status(form))


@manage_bp.post("/events/<int:event_id>/team/<int:member_id>/edit")
@login_required
def team_member_edit(event_id: int, member_id: int):
    """Change what a team member may do."""
    event = load_event(event_id, Permission.MANAGE)
    member = load_event_child(TeamMember, member_id, event)
    form = TeamMemberEditForm(prefix=f"m{member.id}")
    if not form.validate_on_submit():
        abort(400)
    event_service.update_team_member(member, can_manage=form.can_manage.data,
                                     can_invite=form.can_invite.data,
                                     can_checkin=form.can_checkin.data)
    flash(_("The rights of %(name)s were saved.", name=member.user.name), "success")
    return redirect(url_for(".team", event_id=event.id))


@manage_bp.post("/events/<int:event_id>/team/<int:member_id>/remove")
@login_required
def team_member_remove(event_id: int, member_id: int):
    """Take a member off the team."""
    event = load_event(event_id, Permission.MANAGE)
    member = load_event_child(TeamMember, member_id, event)
    name = member.user.name
    event_service.remove_team_member(member)
    flash(_("%(name)s is no longer on the team.", name=name), "success")
    return redirect(url_for(".team", event_id=event.id))
