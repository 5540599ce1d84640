"""Organizer pages for the programme (sessions and speakers).

Seeing the agenda needs VIEW on the event; adding, changing and deleting sessions need MANAGE.
A session id that belongs to another event is answered with 404.
"""

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..models import Event
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.events.agenda import (
    add_session,
    delete_session,
    event_days,
    get_session,
    local_parts,
    sessions_by_day,
    update_session,
)
from ..view_helpers import attach_error, load_event, load_event_with_permissions
from . import manage_bp
from .agenda_forms import AgendaSessionForm

log = logging.getLogger(__name__)


def _render_agenda(event: Event, granted: set[Permission], form: AgendaSessionForm | None,
                   status: int = 200):
    if form is None and Permission.MANAGE in granted:
        form = AgendaSessionForm(formdata=None, data={"day": event_days(event)[0]})
    if form is not None:
        form.limit_days(*event_days(event))
    return render_template(
        "manage/agenda_list.html",
        event=event,
        agenda=sessions_by_day(event),
        can_manage=Permission.MANAGE in granted,
        form=form,
        event_days=event_days(event),
    ), status


@manage_bp.get("/events/<int:event_id>/agenda")
@login_required
def agenda(event_id: int):
    """The event's programme, grouped by day, with a form to add a session."""
    event, granted = load_event_with_permissions(event_id, Permission.VIEW)
    return _render_agenda(event, granted, None)


@manage_bp.post("/events/<int:event_id>/agenda")
@login_required
def agenda_session_create(event_id: int):
    """Add a session to the programme."""
    event, granted = load_event_with_permissions(event_id, Permission.MANAGE)
    form = AgendaSessionForm()
    if not form.validate_on_submit():
        return _render_agenda(event, granted, form, 422)
    try:
        session = add_session(event, **form.session_values())
    except ServiceError as error:
        return _render_agenda(event, granted, form, attach_error(form, error))
    flash(_("The session “%(title)s” has been added.", title=session.title), "success")
    return redirect(url_for("manage.agenda", event_id=event.id) + f"#session-{session.id}")


@manage_bp.route("/events/<int:event_id>/agenda/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def agenda_session_edit(event_id: int, session_id: int):
    """Change a session's time, texts and speakers."""
    event = load_event(event_id, Permission.MANAGE)
    session = get_session(event, session_id)
    if request.method != "POST":
        day, start, end = local_parts(session, event.timezone)
        form = AgendaSessionForm(formdata=None, data={
            "day": day, "start_time": start, "end_time": end, "room": session.room,
            **AgendaSessionForm.initial_texts(session),
            "speakers": [{"name": s.name, "title": s.title, "organisation": s.organisation}
                         for s in session.speakers],
        })
        return _render_edit(event, session, form)
    form = AgendaSessionForm()
    if not form.validate_on_submit():
        return _render_edit(event, session, form, 422)
    try:
        update_session(session, **form.session_values())
    except ServiceError as error:
        return _render_edit(event, session, form, attach_error(form, error))
    flash(_("The session “%(title)s” has been saved.", title=session.title), "success")
    return redirect(url_for("manage.agenda", event_id=event.id) + f"#session-{session.id}")


@manage_bp.post("/events/<int:event_id>/agenda/<int:session_id>/delete")
@login_required
def agenda_session_delete(event_id: int, session_id: int):
    """Remove a session from the programme."""
    event = load_event(event_id, Permission.MANAGE)
    session = get_session(event, session_id)
    title = session.title
    delete_session(session)
    flash(_("The session “%(title)s” has been deleted.", title=title), "success")
    return redirect(url_for("manage.agenda", event_id=event.id))


def _render_edit(event: Event, session, form: AgendaSessionForm, status: int = 200):
    form.limit_days(*event_days(event))
    return render_template(
        "manage/agenda_session_edit.html", event=event, session=session, form=form,
        event_days=event_days(event),
    ), status
