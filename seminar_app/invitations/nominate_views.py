"""A mission's focal point nominates its delegation through the invitation link.

/i/<token> of an organisation invitee leads here (rsvp.show redirects): GET
/i/<token>/nominate shows the mission, the letter, the members with their status, the
deadline and the forms; every change is a POST (CSRF) to /i/<token>/nominate/...; the rules
are services.registration.nominations'. The page speaks the invitee's language unless the
visitor chose one (rsvp._speak_to); like every /i/<token> page it is rate-limited per
address, never cached, and sends no Referer. After the deadline (or when the event is
cancelled or over, the invitation declined, the nomination withdrawn) the page is read-only
and every POST answers 409 with the reason, nothing stored. A refused value is shown next to
its field with a 422. A person invitee's token, an unknown token, or a member of another
nomination: 404.
"""

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..errors import render_error
from ..models import Invitee, NominationMemberStatus, NominationStatus
from ..registration.forms import form_data
from ..registration.photo_forms import PhotoForm, PhotoRemoveForm
from ..registration.photo_views import form_refusal, photo_response, read_photo, wants_thumbnail
from ..registration.substitution_forms import build_substitution_form
from ..services.errors import ServiceError
from ..services.registration import nominations as nomination_service
from ..services.registration.nomination_letters import letter_max_bytes, letter_max_megabytes
from ..services.registration.registration_labels import organisation_type_label
from ..services.registration.substitution import substitution_refusal
from ..services.registration.waitlist import waitlist_position
from ..view_helpers import attach_error
from . import public_bp
from .nominate_forms import (
    NominationActionForm,
    NominationLetterForm,
    NominationStartForm,
    build_member_form,
    member_data,
)
from .rsvp import _gone, _load, _page_args, invitation_link_limit

log = logging.getLogger(__name__)

#: room above the letter's limit, so that a letter a little too large gets its own message
_BODY_MARGIN = 4 * 1024 * 1024


@public_bp.url_value_preprocessor
def _letter_body_limit(endpoint, _values):
    """The letter's page takes a body up to the letter's limit (NOMINATION_LETTER_MAX_BYTES,
    above MAX_CONTENT_LENGTH), set before anything reads the body (the CSRF check included)."""
    if endpoint == "rsvp.nominate_letter":
        configured = current_app.config.get("MAX_CONTENT_LENGTH")
        if configured is not None:
            request.max_content_length = max(configured, letter_max_bytes() + _BODY_MARGIN)


# --- loading ---------------------------------------------------------------------------------

def _organisation(token: str) -> Invitee:
    """The organisation invitee of ``token``; 404 for a person's invitation."""
    invitee = _load(token)
    if not nomination_service.is_organisation(invitee):
        abort(404)
    return invitee


def _nomination_or_404(invitee: Invitee):
    nomination = nomination_service.get_nomination(invitee)
    if nomination is None:
        abort(404)
    return nomination


def _member_rows(nomination) -> list[dict]:
    rows = []
    for member in nomination.members if nomination is not None else []:
        registration = member.registration
        rows.append({
            "member": member,
            "registration": registration,
            "position": waitlist_position(registration) if registration is not None else None,
            "replaceable": registration is not None
            and member.status == NominationMemberStatus.ACCREDITED.value
            and substitution_refusal(registration) is None,
        })
    return rows


def _render_page(invitee: Invitee, token: str, *, status: int = 200, start_form=None,
                 letter_form=None, member_form=None, page_error: str = ""):
    event = invitee.event
    nomination = nomination_service.get_nomination(invitee)
    refusal = nomination_service.change_refusal(nomination, invitee)
    if start_form is None:
        start_form = NominationStartForm(formdata=None, data={"email": invitee.email})
    return render_template(
        "invitations/nominate_show.html", invitee=invitee, event=event, token=token,
        args=_page_args(token), nomination=nomination, refusal=refusal,
        deadline=nomination_service.nomination_deadline(event),
        rows=_member_rows(nomination), start_form=start_form,
        letter_form=letter_form or NominationLetterForm(formdata=None),
        member_form=member_form or build_member_form(language=invitee.language),
        action_form=NominationActionForm(formdata=None), page_error=page_error,
        letter_max=letter_max_megabytes(), organisation_type_label=organisation_type_label,
        can_submit=nomination is not None and refusal is None
        and nomination.status in (NominationStatus.DRAFT.value, NominationStatus.RETURNED.value),
    ), status


def _back(token: str, anchor: str | None = None):
    return redirect(url_for(".nominate", **_page_args(token), _anchor=anchor), code=303)


def _closed(invitee: Invitee, token: str, nomination=None):
    """The read-only page with the reason (409) when no change is possible now, else None."""
    refusal = nomination_service.change_refusal(nomination, invitee)
    if refusal is None:
        return None
    return _render_page(invitee, token, status=409, page_error=refusal)


def _prepare(token: str, *, started: bool = True):
    """(invitee, nomination, None) for a POST that may go on, or (.., .., the answer)."""
    invitee = _organisation(token)
    gone = _gone(invitee)
    if gone is not None:
        return invitee, None, gone
    nomination = nomination_service.get_nomination(invitee)
    if started and nomination is None:
        return invitee, None, _render_page(
            invitee, token, status=409,
            page_error=_("Please give your email address first to start the nomination."))
    closed = _closed(invitee, token, nomination)
    return invitee, nomination, closed


# --- the page --------------------------------------------------------------------------------

@public_bp.get("/i/<token>/nominate")
@invitation_link_limit
def nominate(token: str):
    """The mission's nomination: what it holds and the forms to change it."""
    invitee = _organisation(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    return _render_page(invitee, token)


@public_bp.post("/i/<token>/nominate/start")
@invitation_link_limit
def nominate_start(token: str):
    """The focal point gives their email address; the nomination is started."""
    invitee, _nomination, answer = _prepare(token, started=False)
    if answer is not None:
        return answer
    form = NominationStartForm()
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=422, start_form=form)
    try:
        nomination = nomination_service.get_or_start_nomination(invitee, email=form.email.data)
    except ServiceError as error:
        return _render_page(invitee, token, status=attach_error(form, error), start_form=form)
    if nomination.forwarded:
        flash(_("This invitation was sent to another email address, so the organizers will "
                "confirm your nomination before accrediting anyone."), "info")
    return _back(token)


@public_bp.post("/i/<token>/nominate/letter")
@invitation_link_limit
def nominate_letter(token: str):
    """Upload (or replace) the nomination letter."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return answer
    form = NominationLetterForm()
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=422, letter_form=form)
    storage = form.letter.data
    data, filename = None, ""
    if isinstance(storage, FileStorage) and storage.filename:
        data, filename = storage.read(letter_max_bytes() + 1), storage.filename
    try:
        nomination_service.set_letter(nomination, data, filename,
                                      reference=form.reference.data or "")
    except ServiceError as error:
        return _render_page(invitee, token, status=attach_error(form, error), letter_form=form)
    flash(_("The nomination letter has been saved."), "success")
    return _back(token, "nomination-letter")  # not "letter": the file field has that id


@public_bp.post("/i/<token>/nominate/members")
@invitation_link_limit
def nominate_member_add(token: str):
    """Add a member."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return answer
    form = build_member_form(language=invitee.language)
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=422, member_form=form)
    try:
        member = nomination_service.add_member(nomination, member_data(form))
    except ServiceError as error:
        return _render_page(invitee, token, status=attach_error(form, error), member_form=form)
    flash(_("%(name)s has been added. You can now add their photo.", name=member.full_name),
          "success")
    return redirect(url_for(".nominate_member", **_page_args(token), member_id=member.id,
                            _anchor="photo"), code=303)


# --- one member ------------------------------------------------------------------------------

def _render_member(invitee, token, member, *, form=None, status=200, photo_error="",
                   page_error=""):
    nomination = member.nomination
    refusal = nomination_service.change_refusal(nomination, invitee)
    editable = refusal is None and member.status == NominationMemberStatus.PROPOSED.value
    return render_template(
        "invitations/nominate_member.html", invitee=invitee, event=invitee.event, token=token,
        args=_page_args(token), nomination=nomination, member=member, refusal=refusal,
        editable=editable, form=form or build_member_form(member), photo_error=photo_error,
        page_error=page_error), status


@public_bp.route("/i/<token>/nominate/members/<int:member_id>", methods=["GET", "POST"])
@invitation_link_limit
def nominate_member(token: str, member_id: int):
    """GET: the member's details and photo; POST: change the details."""
    invitee = _organisation(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    nomination = _nomination_or_404(invitee)
    try:
        member = nomination_service.get_member(nomination, member_id)
    except ServiceError:
        abort(404)
    if request.method == "GET":
        return _render_member(invitee, token, member)
    refusal = nomination_service.change_refusal(nomination, invitee)
    if refusal is not None:
        return _render_member(invitee, token, member, status=409, page_error=refusal)
    form = build_member_form(member)
    if not form.validate_on_submit():
        return _render_member(invitee, token, member, form=form, status=422)
    try:
        nomination_service.update_member(nomination, member.id, member_data(form))
    except ServiceError as error:
        return _render_member(invitee, token, member, form=form,
                              status=attach_error(form, error))
    flash(_("The member's details have been saved."), "success")
    return _back(token, "members")


@public_bp.post("/i/<token>/nominate/members/<int:member_id>/withdraw")
@invitation_link_limit
def nominate_member_withdraw(token: str, member_id: int):
    """Withdraw a proposed member."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return answer
    form = NominationActionForm()
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=400, page_error=form_refusal(form))
    try:
        member = nomination_service.withdraw_member(nomination, member_id)
    except ServiceError as error:
        if error.status_code == 404:
            abort(404)
        return _render_page(invitee, token, status=409, page_error=error.message)
    flash(_("%(name)s has been withdrawn from the nomination.", name=member.full_name),
          "success")
    return _back(token, "members")


@public_bp.get("/i/<token>/nominate/members/<int:member_id>/photo")
@invitation_link_limit
def nominate_member_photo(token: str, member_id: int):
    """The member's photo (or ``?size=thumbnail``) for this nomination's focal point only."""
    invitee = _organisation(token)
    nomination = _nomination_or_404(invitee)
    try:
        member = nomination_service.get_member(nomination, member_id)
    except ServiceError:
        abort(404)
    upload = member.photo_thumbnail if wants_thumbnail() else member.photo
    if upload is None:
        abort(404)
    return photo_response(upload)


def _prepare_member(token: str, member_id: int):
    """(invitee, nomination, member, None) for a POST about one member, or (..., answer)
    when the page must answer instead (``_prepare``); 404 for a member of another
    nomination."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return invitee, nomination, None, answer
    try:
        return invitee, nomination, nomination_service.get_member(nomination, member_id), None
    except ServiceError:
        abort(404)


@public_bp.post("/i/<token>/nominate/members/<int:member_id>/photo")
@invitation_link_limit
def nominate_member_photo_upload(token: str, member_id: int):
    """Store the member's photo with the chosen crop box."""
    invitee, nomination, member, answer = _prepare_member(token, member_id)
    if answer is not None:
        return answer
    form = PhotoForm()
    if not form.validate_on_submit():
        return _render_member(invitee, token, member, status=400,
                              photo_error=form_refusal(form))
    try:
        data, crop = read_photo(form)
        nomination_service.set_member_photo(nomination, member.id, data, crop=crop)
    except ServiceError as error:
        return _render_member(invitee, token, member, status=error.status_code,
                              photo_error=error.message)
    flash(_("The photo has been saved."), "success")
    return _back(token, "members")


@public_bp.post("/i/<token>/nominate/members/<int:member_id>/photo/remove")
@invitation_link_limit
def nominate_member_photo_remove(token: str, member_id: int):
    """Delete the member's photo."""
    invitee, nomination, member, answer = _prepare_member(token, member_id)
    if answer is not None:
        return answer
    form = PhotoRemoveForm()
    if not form.validate_on_submit():
        return _render_member(invitee, token, member, status=400,
                              photo_error=form_refusal(form))
    try:
        removed = nomination_service.remove_member_photo(nomination, member.id)
    except ServiceError as error:
        return _render_member(invitee, token, member, status=error.status_code,
                              photo_error=error.message)
    if removed:
        flash(_("The photo has been removed."), "success")
    return redirect(url_for(".nominate_member", **_page_args(token), member_id=member.id,
                            _anchor="photo"), code=303)


@public_bp.route("/i/<token>/nominate/members/<int:member_id>/replace",
                 methods=["GET", "POST"])
@invitation_link_limit
def nominate_member_replace(token: str, member_id: int):
    """GET: the form for the person who takes an accredited member's seat; POST: replace."""
    invitee = _organisation(token)
    gone = _gone(invitee)
    if gone is not None:
        return gone
    nomination = _nomination_or_404(invitee)
    try:
        member = nomination_service.get_member(nomination, member_id)
    except ServiceError:
        abort(404)
    registration = member.registration
    if member.status != NominationMemberStatus.ACCREDITED.value or registration is None:
        abort(404)
    refusal = (nomination_service.change_refusal(nomination, invitee)
               or substitution_refusal(registration))
    if refusal is not None:
        return render_error(409, refusal)
    form = build_substitution_form(registration)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        data, _answers = form_data(form)
        old_name = member.full_name
        try:
            nomination_service.replace_member(nomination, member.id, data)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            flash(_("%(old)s was replaced by %(new)s, who keeps the seat and receives their own "
                    "confirmation and personal link.", old=old_name, new=member.full_name),
                  "success")
            return _back(token, "members")
    return render_template("invitations/nominate_replace.html", form=form,
                           registration=registration, member=member, invitee=invitee,
                           event=invitee.event, token=token, args=_page_args(token)), status


# --- submitting and withdrawing --------------------------------------------------------------

@public_bp.post("/i/<token>/nominate/submit")
@invitation_link_limit
def nominate_submit(token: str):
    """Send the nomination to the organizers."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return answer
    form = NominationActionForm()
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=400, page_error=form_refusal(form))
    try:
        nomination_service.submit(nomination)
    except ServiceError as error:
        return _render_page(invitee, token, status=409 if error.status_code == 409 else 422,
                            page_error=error.message)
    flash(_("Thank you — your nomination has been sent to the organizers. We have emailed you "
            "a confirmation; you can follow each member's status on this page."), "success")
    return _back(token)


@public_bp.post("/i/<token>/nominate/withdraw")
@invitation_link_limit
def nominate_withdraw(token: str):
    """Withdraw the whole nomination."""
    invitee, nomination, answer = _prepare(token)
    if answer is not None:
        return answer
    form = NominationActionForm()
    if not form.validate_on_submit():
        return _render_page(invitee, token, status=400, page_error=form_refusal(form))
    try:
        nomination_service.withdraw_nomination(nomination)
    except ServiceError as error:
        return _render_page(invitee, token, status=409, page_error=error.message)
    flash(_("The nomination has been withdrawn."), "success")
    return _back(token)
