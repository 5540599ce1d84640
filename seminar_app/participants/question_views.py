"""The editor of an event's extra registration questions (organizers: Permission.MANAGE)."""

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..models import Event, ExtraQuestion
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.registration import questions as question_service
from ..view_helpers import attach_error, form_status, load_event, load_event_child
from . import bp
from .forms import KIND_LABELS, QuestionEditForm

log = logging.getLogger(__name__)


def _render_list(event: Event, form, status: int = 200):
    return render_template("participants/question_list.html", event=event, form=form,
                           questions=question_service.event_questions(event),
                           kind_labels=KIND_LABELS, can_manage=True), status


@bp.route("/events/<int:event_id>/questions", methods=["GET", "POST"])
@login_required
def questions(event_id: int):
    """The event's extra questions, and the form to add one."""
    event = load_event(event_id, Permission.MANAGE)
    form = QuestionEditForm()
    if form.validate_on_submit():
        try:
            question_service.add_question(event, actor=current_user, **form.question_data())
        except ServiceError as error:
            return _render_list(event, form, attach_error(form, error))
        flash(_("The question was added to the registration form."), "success")
        return redirect(url_for(".questions", event_id=event.id))
    return _render_list(event, form, form_status(form))


@bp.route("/events/<int:event_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def question_edit(event_id: int, question_id: int):
    """Change a question's text, kind, options or whether it is required."""
    event = load_event(event_id, Permission.MANAGE)
    question = load_event_child(ExtraQuestion, question_id, event)
    form = QuestionEditForm(data=QuestionEditForm.initial_data(question))
    status = form_status(form)
    if form.validate_on_submit():
        try:
            question_service.update_question(question, actor=current_user,
                                             **form.question_data())
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("The question was saved."), "success")
            return redirect(url_for(".questions", event_id=event.id))
    return render_template("participants/question_edit.html", event=event, question=question,
                           form=form, can_manage=True), status


@bp.post("/events/<int:event_id>/questions/<int:question_id>/delete")
@login_required
def question_delete(event_id: int, question_id: int):
    """Remove a question and its answers."""
    event = load_event(event_id, Permission.MANAGE)
    question = load_event_child(ExtraQuestion, question_id, event)
    question_service.delete_question(question, actor=current_user)
    flash(_("The question and its answers were removed."), "success")
    return redirect(url_for(".questions", event_id=event.id))


@bp.post("/events/<int:event_id>/questions/<int:question_id>/move")
@login_required
def question_move(event_id: int, question_id: int):
    """Move a question one place up or down."""
    event = load_event(event_id, Permission.MANAGE)
    question = load_event_child(ExtraQuestion, question_id, event)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    question_service.move_question(question, direction=direction, actor=current_user)
    return redirect(url_for(".questions", event_id=event.id))
