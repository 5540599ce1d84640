"""The editor of an event's extra registration questions (organizers: Permission.MANAGE)."""

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Event, ExtraQuestion
from ..services import questions as question_service
from ..services.access import Permission
from ..services.errors import Conflict, ServiceError
from . import bp
from .forms import KIND_LABELS, QuestionEditForm
from .views import load_event

log = logging.getLogger(__name__)


def _load_question(event: Event, question_id: int) -> ExtraQuestion:
    question = db.session.get(ExtraQuestion, question_id)
    if question is None or question.event_id != event.id:
        abort(404)
    return question


def _attach_error(form, error: ServiceError) -> int:
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
    return 409 if isinstance(error, Conflict) else 422


def _render_list(event: Event, form, status: int = 200):
    return render_template("participants/question_list.html", event=event, form=form,
                           questions=question_service.event_questions(event),
                           kind_labels=KIND_LABELS, can_manage=True), status


@bp.route("/events/<int:event_id>/questions", methods=["GET", "POST"])
@login_required
def questions(event_id: int):
    """The event's extra questions, and the form to add one."""
    event, _permissions = load_event(event_id, Permission.MANAGE)
    form = QuestionEditForm()
    if form.validate_on_submit():
        try:
            question_service.add_question(event, actor=current_user, **form.question_data())
        except ServiceError as error:
            return _render_list(event, form, _attach_error(form, error))
        flash(_("The question was added to the registration form."), "success")
        return redirect(url_for(".questions", event_id=event.id))
    return _render_list(event, form, 422 if form.is_submitted() else 200)


@bp.route("/events/<int:event_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def question_edit(event_id: int, question_id: int):
    """Change a question's text, kind, options or whether it is required."""
    event, _permissions = load_event(event_id, Permission.MANAGE)
    question = _load_question(event, question_id)
    form = QuestionEditForm(data=QuestionEditForm.initial_data(question))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            question_service.update_question(question, actor=current_user,
                                             **form.question_data())
        except ServiceError as error:
            status = _attach_error(form, error)
        else:
            flash(_("The question was saved."), "success")
            return redirect(url_for(".questions", event_id=event.id))
    return render_template("participants/question_edit.html", event=event, question=question,
                           form=form, can_manage=True), status


@bp.post("/events/<int:event_id>/questions/<int:question_id>/delete")
@login_required
def question_delete(event_id: int, question_id: int):
    """Remove a question and its answers."""
    event, _permissions = load_event(event_id, Permission.MANAGE)
    question_service.delete_question(_load_question(event, question_id), actor=current_user)
    flash(_("The question and its answers were removed."), "success")
    return redirect(url_for(".questions", event_id=event.id))


@bp.post("/events/<int:event_id>/questions/<int:question_id>/move")
@login_required
def question_move(event_id: int, question_id: int):
    """Move a question one place up or down."""
    event, _permissions = load_event(event_id, Permission.MANAGE)
    question = _load_question(event, question_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    question_service.move_question(question, direction=direction, actor=current_user)
    return redirect(url_for(".questions", event_id=event.id))
