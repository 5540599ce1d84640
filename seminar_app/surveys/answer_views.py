"""The delegate's personal survey link /s/<token>: the survey in their language, answered once.

A GET only shows the survey (mail scanners open links); the POST stores the answers. The page
speaks the delegate's language unless the visitor chose one (language cookie or ``?lang=``).
A forged or unknown link answers 404, a survey already answered or closed 409, an answer
refused 422; nothing is stored then. Every /s/<token> page shares one rate-limit budget per
address, is never cached and sends no Referer. The rules live in
services.surveys.answering.
"""

import logging

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import refresh

from ..extensions import limiter
from ..i18n import LANGUAGE_COOKIE, current_language
from ..models import Registration
from ..services.errors import ServiceError
from ..services.events.content_language import localized_text
from ..services.surveys import answering
from ..services.surveys.links import registration_of_token
from ..view_helpers import attach_error, form_status
from . import public_bp
from .forms import answers_of, build_answer_form

log = logging.getLogger(__name__)


def _link_limit() -> str:
    return current_app.config.get("INVITATION_LINK_RATE_LIMIT", "60 per minute")


#: one budget per address for every /s/<token> page, so tokens cannot be enumerated
survey_link_limit = limiter.shared_limit(_link_limit, scope="survey-link")


def _speak_to(registration: Registration) -> None:
    """Answer in the visitor's chosen language, else in the delegate's."""
    supported = current_app.config["LANGUAGES"]
    if request.cookies.get(LANGUAGE_COOKIE) in supported:
        return
    requested = request.args.get("lang")
    language = requested if requested in supported else registration.language
    if language in supported:
        g.locale_override = language
        refresh()


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _page(template: str, status: int, **context):
    response = current_app.make_response((render_template(template, **context), status))
    return _private(response)


def _message(registration, message: str, status: int, kind: str):
    event = registration.event if registration is not None else None
    title = localized_text(event, "title", current_language()) if event is not None else ""
    return _page("surveys/answer_message.html", status, event=event, event_title=title,
                 message=message, kind=kind)


@public_bp.route("/s/<token>", methods=["GET", "POST"])
@survey_link_limit
def answer(token: str):
    """GET: the survey's questions. POST: store the answers once."""
    try:
        registration = registration_of_token(token)
    except ServiceError as error:
        return _message(None, error.message, 404, "danger")
    _speak_to(registration)
    try:
        survey = answering.survey_for(registration)
        answering.check_can_answer(survey, registration)
    except ServiceError as error:
        return _message(registration, error.message, error.status_code,
                        "info" if isinstance(error, answering.AlreadyAnswered) else "warning")
    language = current_language()
    form = build_answer_form(survey, language,
                             formdata=request.form if request.method == "POST" else None)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            answering.submit_answers(registration, answers_of(form), language=language)
        except (answering.AlreadyAnswered, answering.SurveyClosed) as error:
            return _message(registration, error.message, 409, "info")
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            return _message(registration, _("Thank you: your answers have been recorded."), 200,
                            "success")
    event = registration.event
    return _page("surveys/answer.html", status, event=event, survey=survey, form=form,
                 registration=registration, token=token,
                 event_title=localized_text(event, "title", language))
