"""The staff page of an event's feedback survey (organizers: Permission.MANAGE).

Organizers write the questions, choose whether answers are anonymous (before the first
answer), open and close the survey, and go on to send it (a mailing of kind "survey") or to
its results on the dashboard. The rules live in services.surveys.surveys.
"""

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..i18n import current_language
from ..models import Event, Survey
from ..services.access import Permission, event_permissions
from ..services.errors import ServiceError
from ..services.surveys import surveys as service
from ..view_helpers import attach_error, form_status, load_event
from . import bp
from .forms import (
    KIND_LABELS,
    STATE_LABELS,
    SurveyActionForm,
    SurveyQuestionForm,
    SurveySettingsForm,
)

log = logging.getLogger(__name__)

BASE = "/events/<int:event_id>/survey"


def _render(event: Event, survey: Survey, form=None, settings_form=None, status: int = 200):
    form = form or SurveyQuestionForm(formdata=None)
    settings_form = settings_form or SurveySettingsForm(formdata=None,
                                                        data={"anonymous": survey.anonymous})
    return render_template(
        "surveys/survey_edit.html", event=event, survey=survey, form=form,
        settings_form=settings_form, action_form=SurveyActionForm(formdata=None),
        kind_labels=KIND_LABELS, state_labels=STATE_LABELS,
        respondents=service.respondent_count(survey), label=service.question_label,
        choices=service.question_choices, language=current_language(),
        can_invite=Permission.INVITE in event_permissions(current_user, event),
        can_manage=True), status


def _load(event_id: int) -> tuple[Event, Survey]:
    """The event and its survey; a GET shows an unsaved empty one, a POST makes it."""
    event = load_event(event_id, Permission.MANAGE)
    if request.method == "POST":
        return event, service.get_or_create_survey(event, actor=current_user)
    survey = service.find_survey(event)
    return event, survey or Survey(event_id=event.id, state="draft", anonymous=False)


def _question(survey: Survey, question_id: int):
    try:
        return service.get_question(survey, question_id)
    except ServiceError:
        abort(404)


@bp.route(BASE, methods=["GET", "POST"])
@login_required
def survey_edit(event_id: int):
    """The survey: its state, anonymity, questions, and the form to add a question."""
    event, survey = _load(event_id)
    form = SurveyQuestionForm()
    if not form.validate_on_submit():
        return _render(event, survey, form, status=form_status(form))
    try:
        service.add_question(survey, actor=current_user, **form.question_data())
    except ServiceError as error:
        return _render(event, survey, form, status=attach_error(form, error))
    flash(_("The question was added to the survey."), "success")
    return redirect(url_for(".survey_edit", event_id=event.id), 303)


@bp.post(f"{BASE}/settings")
@login_required
def survey_settings(event_id: int):
    """Make the survey anonymous or not (before the first answer)."""
    event, survey = _load(event_id)
    form = SurveySettingsForm()
    if not form.validate_on_submit():
        return _render(event, survey, settings_form=form, status=422)
    try:
        service.set_anonymous(survey, form.anonymous.data, actor=current_user)
    except ServiceError as error:
        return _render(event, survey, settings_form=form,
                       status=attach_error(form, error))
    flash(_("The survey's settings were saved."), "success")
    return redirect(url_for(".survey_edit", event_id=event.id), 303)


def _change_state(event_id: int, change, done: str):
    event, survey = _load(event_id)
    if not SurveyActionForm().validate_on_submit():
        abort(400)
    try:
        change(survey, actor=current_user)
    except ServiceError as error:
        flash(error.message, "danger")
        return _render(event, survey, status=409)
    flash(done, "success")
    return redirect(url_for(".survey_edit", event_id=event.id), 303)


@bp.post(f"{BASE}/open")
@login_required
def survey_open(event_id: int):
    """Open the survey: delegates can answer it (it needs a question)."""
    return _change_state(event_id, service.open_survey,
                         _("The survey is open: delegates can answer it."))


@bp.post(f"{BASE}/close")
@login_required
def survey_close(event_id: int):
    """Close the survey: it takes no more answers."""
    return _change_state(event_id, service.close_survey,
                         _("The survey is closed: it takes no more answers."))


@bp.route(f"{BASE}/questions/<int:survey_question_id>/edit", methods=["GET", "POST"])
@login_required
def question_edit(event_id: int, survey_question_id: int):
    """Change a question's wording (and its kind or options before any answer)."""
    event, survey = _load(event_id)
    question = _question(survey, survey_question_id)
    form = SurveyQuestionForm(data=SurveyQuestionForm.initial_data(question))
    status = form_status(form)
    if form.validate_on_submit():
        try:
            service.update_question(question, actor=current_user, **form.question_data())
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("The question was saved."), "success")
            return redirect(url_for(".survey_edit", event_id=event.id), 303)
    return render_template("surveys/question_edit.html", event=event, survey=survey,
                           question=question, form=form, can_manage=True), status


@bp.post(f"{BASE}/questions/<int:survey_question_id>/delete")
@login_required
def question_delete(event_id: int, survey_question_id: int):
    """Remove a question nobody has answered."""
    event, survey = _load(event_id)
    question = _question(survey, survey_question_id)
    if not SurveyActionForm().validate_on_submit():
        abort(400)
    try:
        service.delete_question(question, actor=current_user)
    except ServiceError as error:
        flash(error.message, "danger")
        return _render(event, survey, status=409)
    flash(_("The question was removed."), "success")
    return redirect(url_for(".survey_edit", event_id=event.id), 303)


@bp.post(f"{BASE}/questions/<int:survey_question_id>/move")
@login_required
def question_move(event_id: int, survey_question_id: int):
    """Move a question one place up or down."""
    event, survey = _load(event_id)
    question = _question(survey, survey_question_id)
    direction = request.form.get("direction", "")
    if not SurveyActionForm().validate_on_submit() or direction not in ("up", "down"):
        abort(400)
    service.move_question(question, direction=direction, actor=current_user)
    return redirect(url_for(".survey_edit", event_id=event.id), 303)
