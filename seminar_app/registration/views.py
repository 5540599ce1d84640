"""Public registration pages and the delegate's self-service through their personal link.

Register: load the event (404 for unknown or draft events) -> refuse with a clear page when
registration is not open to the public -> form -> ``services.registration.registrations.register``
->
redirect to the personal page with a one-time message. A second registration with the same
email gets a neutral answer and the link is emailed again, so the page never tells a stranger
whether an address is registered. /r/<token> pages: a GET only shows; POSTs change; they are
rate-limited per address, never cached and never send a Referer.
"""

import logging

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import render_error
from ..extensions import limiter
from ..models import Event, QuestionKind, Registration, RegistrationStatus, utcnow
from ..page_cache import form_pages
from ..services.errors import Conflict, ServiceError
from ..services.events.content_language import choice_label, localized_text
from ..services.events.listing import find_visible_event
from ..services.policies import (
    RefusalKind,
    keep_write_only_values,
    personal_view,
    registration_refusal,
)
from ..services.registration import link_requests
from ..services.registration import registrations as registration_service
from ..services.registration.questions import event_questions
from ..services.registration.registration_labels import (
    display_name,
    honorific_text,
    role_label,
    status_label,
)
from ..services.registration.waitlist import waitlist_position
from ..view_helpers import attach_error, form_status
from . import bp
from .delegation_head import head_page
from .forms import (
    ManageLinkResendForm,
    RegistrationCancelForm,
    build_registration_form,
    form_data,
)

log = logging.getLogger(__name__)


def _register_limit() -> str:
    return current_app.config.get("REGISTRATION_RATE_LIMIT", "30 per minute;300 per hour")


def _lookup_limit() -> str:
    return current_app.config.get("MANAGE_LINK_RATE_LIMIT", "60 per minute")


def _resend_limit() -> str:
    return current_app.config.get("RESEND_LINK_RATE_LIMIT", "5 per minute")


#: one budget per address for every /r/<token> page, so tokens cannot be enumerated
manage_link_limit = limiter.shared_limit(_lookup_limit, scope="manage-link")


#: personal pages: registrations /r/, invitations /i/, unsubscribing /u/
PRIVATE_PATHS = ("/r/", "/i/", "/u/")


@bp.after_app_request
def _private_page_headers(response):
    """Personal pages: never cached, and their address never leaks through a Referer (a
    response that forbids storing already, e.g. a photo's "private, no-store", keeps it)."""
    if request.path.startswith(PRIVATE_PATHS):
        response.headers["Referrer-Policy"] = "no-referrer"
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def registration_labels() -> dict:
    """Helpers for templates showing registrations (honorific, role, status, display name)."""
    return {"honorific": honorific_text, "role": role_label, "status": status_label,
            "name": display_name}


# --- registering -----------------------------------------------------------------------------

def _refusal(event: Event):
    """The page to answer with when ``event`` does not take public registrations
    (services.policies.registration_refusal), else None."""
    refusal = registration_refusal(event)
    if refusal is None:
        return None
    code = 410 if refusal.kind == RefusalKind.CANCELLED else 403
    return render_template("registration/registration_closed.html", event=event,
                           message=refusal.message, resend_form=ManageLinkResendForm()), code


def _render_create(event: Event, form, status: int = 200):
    return render_template("registration/registration_create.html", event=event, form=form,
                           resend_form=ManageLinkResendForm(formdata=None)), status


def _thanks(registration: Registration) -> str:
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("Thank you — your registration is confirmed. We have emailed you the details "
                 "and your personal link.")
    if registration.status == RegistrationStatus.PENDING:
        return _("Thank you — your registration was received and is waiting for approval by "
                 "the organizers. We will email you their decision.")
    return _("Thank you — the event is full, so you are on the waiting list (position "
             "%(position)d). We will email you if a place becomes free.",
             position=waitlist_position(registration) or 0)


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register(slug: str):
    """The registration form of a published event while registration is open."""
    event, _preview = find_visible_event(slug, current_user)
    refusal = _refusal(event)
    if refusal is not None:
        return refusal
    cache = form_pages()
    if cache.usable():
        key = (event.id, event.updated_at)
        return cache.get(key) or cache.put(
            key, _render_create(event, build_registration_form(event))[0])
    form = build_registration_form(event)
    if not form.validate_on_submit():
        return _render_create(event, form, form_status(form))
    data, answers = form_data(form)
    try:
        registration, token = registration_service.register(event, data=data, answers=answers)
    except registration_service.AlreadyRegistered:
        link_requests.request_manage_link(event, data["email"])
        return render_template("registration/manage_link_sent.html", event=event)
    except ServiceError as error:
        return _render_create(event, form, attach_error(form, error))
    flash(_thanks(registration), "success")
    return redirect(url_for(".show", token=token), code=303)


@bp.post("/events/<slug>/register/resend")
@limiter.limit(_resend_limit)
def resend_link(slug: str):
    """Email the personal link again to an address registered for the event (neutral answer)."""
    event, _preview = find_visible_event(slug, current_user)
    form = ManageLinkResendForm()
    if not form.validate_on_submit():
        return render_template("registration/manage_link_resend.html", event=event,
                               resend_form=form), 422
    link_requests.request_manage_link(event, form.email.data)
    return render_template("registration/manage_link_sent.html", event=event)


# --- the personal link -----------------------------------------------------------------------

def _answers(registration: Registration) -> list[tuple[str, str]]:
    values = {answer.question_id: answer.value for answer in registration.answers}
    shown = []
    for question in event_questions(registration.event):
        value = values.get(question.id, "")
        if question.kind == QuestionKind.YES_NO and value:
            value = _("Yes") if value == "yes" else _("No")
        elif question.kind == QuestionKind.CHOICE and value:
            value = choice_label(question, value)
        shown.append((localized_text(question, "label"), value))
    return shown


def _can_change(registration: Registration) -> bool:
    return registration.status not in (RegistrationStatus.CANCELLED,
                                       RegistrationStatus.REJECTED) \
        and utcnow() < registration.event.end_at


@bp.get("/r/<token>")
@manage_link_limit
def show(token: str):
    """The delegate's own registration: status, reference, details and answers; for the head
    of a delegation, its members and what the head can do with them (delegation_head)."""
    registration = registration_service.get_registration_by_token(token)
    return render_show(registration, token)


def render_show(registration: Registration, token: str, *, status: int = 200,
                member_form=None):
    """The personal page of ``registration`` (``member_form``: the head's refused "add a
    member" form, shown with its errors)."""
    event = registration.event
    return render_template(
        "registration/registration_show.html", registration=registration, event=event,
        token=token, answers=_answers(registration), can_change=_can_change(registration),
        personal=personal_view(registration),
        position=waitlist_position(registration),
        can_register_again=_can_register_again(event),
        head_page=head_page(registration, member_form=member_form)), status


def _can_register_again(event: Event) -> bool:
    return registration_refusal(event) is None


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
@manage_link_limit
def edit(token: str):
    """Change one's own details and answers (not the email address)."""
    registration = registration_service.get_registration_by_token(token)
    if not _can_change(registration):
        return render_error(409, _("This registration can no longer be changed."))
    event = registration.event
    form = build_registration_form(event, obj=registration, write_only=True)
    if form.validate_on_submit():
        data, answers = form_data(form)
        data = keep_write_only_values(registration, data)
        try:
            registration_service.update_registration(registration, data=data, answers=answers)
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("registration/registration_edit.html", form=form,
                                   registration=registration, event=event, token=token), status
        flash(_("Your changes have been saved."), "success")
        return redirect(url_for(".show", token=token), code=303)
    return render_template("registration/registration_edit.html", form=form,
                           registration=registration, event=event, token=token), \
        form_status(form)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
@manage_link_limit
def cancel(token: str):
    """GET asks for confirmation; POST cancels the registration."""
    registration = registration_service.get_registration_by_token(token)
    if not _can_change(registration):
        return render_error(409, _("This registration is already cancelled or closed."))
    event = registration.event
    form = RegistrationCancelForm()
    if form.validate_on_submit():
        try:
            registration_service.cancel_registration(registration)
        except ServiceError as error:
            return render_error(409 if isinstance(error, Conflict) else error.status_code,
                                error.message)
        return render_template("registration/registration_cancelled.html", event=event,
                               registration=registration,
                               can_register_again=_can_register_again(event))
    return render_template("registration/registration_cancel.html", form=form,
                           registration=registration, event=registration.event, token=token)
