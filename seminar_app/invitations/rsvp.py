"""The invitee's personal link /i/<token>: the invitation page, accepting by registering, and
declining.

Every /i/<token> page shares one rate-limit budget per address (so tokens cannot be
enumerated), is never cached and sends no Referer. A GET only shows; POSTs change. The pages
speak the invitee's language unless the visitor chose one (language cookie, or ``?lang=``).
An unknown token answers 404; an invitation whose event has ended or was cancelled answers
410. The rules of answering live in services.invitations.rsvp.
"""

import logging

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _

from ..errors import render_error
from ..extensions import limiter
from ..i18n import LANGUAGE_COOKIE
from ..models import (
    EventStatus,
    Invitee,
    InviteeKind,
    RegistrationSource,
    RegistrationStatus,
)
from ..registration.forms import ManageLinkResendForm, build_registration_form, form_data
from ..services.errors import NotFound, ServiceError
from ..services.events.content_language import localized_text
from ..services.invitations import invitation_link
from ..services.invitations import invitations as invitation_service
from ..services.invitations import rsvp as rsvp_service
from ..services.policies import RefusalKind, registration_refusal
from ..services.registration import link_requests
from ..services.registration import registrations as registration_service
from ..services.registration.waitlist import waitlist_position
from ..view_helpers import attach_error, form_status
from . import public_bp
from .forms_rsvp import DeclineForm, OpenRegistrationForm, prefill

log = logging.getLogger(__name__)


def _link_limit() -> str:
    return current_app.config.get("INVITATION_LINK_RATE_LIMIT", "60 per minute")


#: one budget per address for every /i/<token> page, so tokens cannot be enumerated
invitation_link_limit = limiter.shared_limit(_link_limit, scope="invitation-link")


# --- loading -----------------------------------------------------------------------------

def _chosen_language() -> str | None:
    """``?lang=`` when valid; None otherwise (the cookie is honoured by select_locale)."""
    requested = request.args.get("lang")
    return requested if requested in current_app.config["LANGUAGES"] else None


def _speak_to(invitee: Invitee) -> None:
    """Answer in the visitor's chosen language, else in the invitee's (no choice made)."""
    supported = current_app.config["LANGUAGES"]
    if request.cookies.get(LANGUAGE_COOKIE) in supported:
        return
    language = _chosen_language() or invitee.language
    if language in supported:
        g.locale_override = language
        refresh()


def _load(token: str) -> Invitee:
    """The invitee of ``token`` (404 for unknown tokens and for unpublished events)."""
    invitee = invitation_service.get_invitee_by_token(token)
    if invitee.event.status == EventStatus.DRAFT:
        raise NotFound(_("This invitation link is not valid. Please use the link in your "
                         "invitation email."))
    _speak_to(invitee)
    return invitee


def _gone(invitee: Invitee):
    """The 410 page when the invitation can no longer be answered, else None."""
    event = invitee.event
    if event.status == EventStatus.CANCELLED:
        message = _("This event has been cancelled, so the invitation can no longer be "
                    "answered.")
    elif invitation_service.link_is_expired(invitee):
        message = _("This invitation has expired: the event has ended.")
    else:
        return None
    return render_template("invitations/rsvp_gone.html", invitee=invitee, event=event,
                           message=message), 410


def _page_args(token: str) -> dict:
    """URL arguments that keep the visitor's ``?lang=`` on the invitation's own pages."""
    return {"token": token, "lang": _chosen_language()}


# --- the invitation page -----------------------------------------------------------------

def _summary(description: str) -> str:
    """The first paragraph of the event's Markdown description."""
    return (description or "").strip().split("\n\n", 1)[0]


@public_bp.get("/i/<token>")
@invitation_link_limit
def show(token: str):
    """The invitation: the event, addressed to the invitee, and the choices left to them."""
    invitee = _load(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    if invitee.kind == InviteeKind.ORGANISATION:  # a mission: its focal point nominates
        return redirect(url_for(".nominate", **_page_args(token)), code=303)
    event, registration = invitee.event, invitee.registration
    return render_template(
        "invitations/rsvp_show.html", invitee=invitee, event=event, token=token,
        args=_page_args(token), summary=_summary(localized_text(event, "description")),
        registration=registration,
        active_registration=invitation_link.active_registration(invitee),
        position=waitlist_position(registration) if registration is not None else None,
        can_register=invitation_link.can_register(invitee),
        can_decline=invitation_link.can_decline(invitee),
        window_open=event.registration_is_open(),
        open_form=OpenRegistrationForm(formdata=None))


@public_bp.post("/i/<token>/registration")
@invitation_link_limit
def open_registration(token: str):
    """Issue a fresh personal link to the registration made through the invitation, go there."""
    invitee = _load(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    form = OpenRegistrationForm()
    if not form.validate_on_submit():
        return render_error(400)
    manage_token = rsvp_service.issue_registration_link(invitee)
    if manage_token is None:  # not the invitee's own registration: its link went by email
        return render_template("invitations/rsvp_link_emailed.html", event=invitee.event,
                               invitee=invitee, token=token)
    return _to_registration(manage_token)


# --- declining ---------------------------------------------------------------------------

@public_bp.route("/i/<token>/decline", methods=["GET", "POST"])
@invitation_link_limit
def decline(token: str):
    """GET asks for confirmation (and an optional reason); POST declines."""
    invitee = _load(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            rsvp_service.decline_invitation(invitee, reason=form.reason.data or "")
        except ServiceError as error:
            status = attach_error(form, error)
            return _render_decline(invitee, token, form, status)
        flash(_("Thank you for letting us know. You have declined the invitation; the "
                "organizers have been informed."), "success")
        return redirect(url_for(".show", **_page_args(token)), code=303)
    return _render_decline(invitee, token, form, form_status(form))


def _render_decline(invitee: Invitee, token: str, form, status: int):
    return render_template(
        "invitations/rsvp_decline.html", invitee=invitee, event=invitee.event, token=token,
        args=_page_args(token), form=form,
        active_registration=invitation_link.active_registration(invitee),
        open_form=OpenRegistrationForm(formdata=None)), status


# --- accepting: registering through the invitation ---------------------------------------

def _register_refusal(invitee: Invitee, token: str):
    """The page to answer with when the link cannot register now, else None."""
    event = invitee.event
    if invitation_link.active_registration(invitee) is not None:
        message, code = _("This invitation has already been used to register. Each "
                          "invitation gives one registration."), 409
    elif invitee.registration is not None \
            and invitee.registration.status == RegistrationStatus.REJECTED:
        message, code = _("The registration made through this invitation was not accepted by "
                          "the organizers. Please contact them."), 409
    else:
        refusal = registration_refusal(event, RegistrationSource.INVITATION)
        if refusal is None:
            return None
        message, code = refusal.message, 410 if refusal.kind == RefusalKind.CANCELLED else 403
    return render_template("invitations/rsvp_refused.html", invitee=invitee, event=event,
                           token=token, args=_page_args(token), message=message), code


def _thanks(registration) -> str:
    if registration.forwarded_invitation:
        return _("Thank you — your registration was received. Because the invitation was sent "
                 "to another email address, it waits for approval by the organizers. We will "
                 "email you their decision.")
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("Thank you for accepting the invitation — your registration is confirmed. We "
                 "have emailed you the details and your personal link.")
    return _("Thank you for accepting the invitation — the event is full, so you are on the "
             "waiting list (position %(position)d). We will email you if a place becomes free.",
             position=waitlist_position(registration) or 0)


def _render_register(invitee: Invitee, token: str, form, status: int = 200):
    return render_template("invitations/rsvp_register.html", invitee=invitee,
                           event=invitee.event, token=token, args=_page_args(token),
                           form=form), status


@public_bp.route("/i/<token>/register", methods=["GET", "POST"])
@invitation_link_limit
def register(token: str):
    """The event's registration form, prefilled with what the invitation knows."""
    invitee = _load(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    refusal = _register_refusal(invitee, token)
    if refusal is not None:
        return refusal
    event = invitee.event
    form = build_registration_form(event)
    if not form.is_submitted():
        prefill(form, invitee)
    if not form.validate_on_submit():
        return _render_register(invitee, token, form, form_status(form))
    data, answers = form_data(form)
    try:
        acceptance = rsvp_service.accept_invitation(invitee, data=data, answers=answers)
    except registration_service.AlreadyRegistered:
        # another address that is registered already: the same neutral answer as the public
        # form (its link is emailed to it), so the page never tells who is registered
        link_requests.request_manage_link(event, data["email"])
        return render_template("registration/manage_link_sent.html", event=event,
                               resend_form=ManageLinkResendForm(formdata=None))
    except ServiceError as error:
        return _render_register(invitee, token, form, attach_error(form, error))
    if acceptance.linked_existing:
        flash(_("You had already registered for this event with this email address, so your "
                "invitation is now linked to that registration. We have emailed you its "
                "personal link."), "info")
        return redirect(url_for(".show", **_page_args(token)), code=303)
    flash(_thanks(acceptance.registration), "success")
    return _to_registration(acceptance.token)


def _to_registration(manage_token: str):
    """Go to the registration's personal page, which then speaks the language of this page
    (the invitee's, unless the visitor chose another): a cookie is set when none was chosen."""
    response = redirect(url_for("registration.show", token=manage_token), code=303)
    if request.cookies.get(LANGUAGE_COOKIE) not in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, get_locale().language, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True, secure=request.is_secure)
    return response
