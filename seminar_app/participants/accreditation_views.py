"""The accreditation queue: nominations of missions' delegations, their letters and photos, and
the organizers' decisions (services.registration.accreditation).

Every page is for the event's organizers (the manage right): login required -> the event (404;
403 without the right) -> the nomination of that event (404; drafts too) -> form -> one
service call -> flash -> redirect. The letter and the members' photos are served never
cached, never sniffed, sandboxed, and only to them; each read of a letter is audited.
"""

import logging
import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..models import NominationMemberStatus, NominationStatus, RegistrationStatus
from ..registration.photo_views import photo_response, wants_thumbnail
from ..services.access import Permission
from ..services.errors import NotFound, ServiceError
from ..services.registration import accreditation
from ..view_helpers import load_event_with_permissions
from . import bp
from .accreditation_forms import AccreditationReasonForm, AccreditForm, ConfirmForm

log = logging.getLogger(__name__)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def country_flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code ("" when it is not one)."""
    if not code or len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code.upper())


@bp.app_template_global()
def accreditation_tab(event) -> int | None:
    """For the event's tabs: None when the accreditation tab is not shown (not an organizer,
    or no mission is invited and no nomination arrived), else the number of nominations
    waiting."""
    if not current_user.is_authenticated or not accreditation.can_accredit(current_user, event):
        return None
    if not accreditation.has_nominations(event):
        return None
    return accreditation.waiting_count(event)


def _load(event_id: int, nomination_id: int):
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    try:
        nomination = accreditation.get_nomination(event, nomination_id)
    except NotFound:
        abort(404)
    return event, nomination


def _back(event, nomination, anchor: str | None = None):
    return redirect(url_for(".accreditation_nomination", event_id=event.id,
                            nomination_id=nomination.id, _anchor=anchor), code=303)


# --- the queue -------------------------------------------------------------------------------

@bp.get("/events/<int:event_id>/accreditation")
@login_required
def accreditation_queue(event_id: int):
    """Every nomination, the ones waiting for a decision first, with counts per status."""
    event, permissions = load_event_with_permissions(event_id, Permission.MANAGE)
    status = request.args.get("status", "")
    if status not in {s.value for s in accreditation.QUEUE_ORDER}:
        status = ""
    queue = accreditation.queue(event, status=status or None)
    return render_template(
        "participants/accreditation_queue.html", event=event, queue=queue, status=status,
        statuses=accreditation.QUEUE_ORDER, labels=accreditation.NOMINATION_STATUS_LABELS,
        country_flag=country_flag, can_manage=True,
        can_invite=Permission.INVITE in permissions,
        can_checkin=Permission.CHECKIN in permissions)


# --- one nomination --------------------------------------------------------------------------

def _render(event, nomination, *, accredit_form=None, return_form=None, reason_forms=None,
            error: str | None = None, status: int = 200):
    members = accreditation.members_in_order(nomination)
    reason_forms = reason_forms or {}
    forms = {member.id: reason_forms.get(member.id)
             or AccreditationReasonForm(formdata=None, prefix=f"m{member.id}")
             for member in members if member.status == NominationMemberStatus.PROPOSED}
    permissions = set(Permission)  # the page is for organizers only (checked by the caller)
    return render_template(
        "participants/accreditation_nomination.html", event=event, nomination=nomination,
        members=members, reason_forms=forms,
        accredit_form=accredit_form or AccreditForm(formdata=None),
        return_form=return_form or AccreditationReasonForm(formdata=None, prefix="return"),
        confirm_form=ConfirmForm(formdata=None), error=error,
        waiting=nomination.status == NominationStatus.SUBMITTED,
        labels=accreditation.NOMINATION_STATUS_LABELS,
        member_labels=accreditation.MEMBER_STATUS_LABELS,
        country_flag=country_flag, RegistrationStatus=RegistrationStatus,
        can_manage=True, can_invite=Permission.INVITE in permissions,
        can_checkin=Permission.CHECKIN in permissions), status


@bp.get("/events/<int:event_id>/accreditation/<int:nomination_id>")
@login_required
def accreditation_nomination(event_id: int, nomination_id: int):
    """A nomination: its letter, its members with their photos, and the decisions."""
    event, nomination = _load(event_id, nomination_id)
    return _render(event, nomination)


def _letter_filename(nomination) -> str:
    name = _UNSAFE_FILENAME.sub("-", f"nomination-{nomination.id}-{nomination.country}")
    return f"{name.strip('-')}.pdf"


@bp.get("/events/<int:event_id>/accreditation/<int:nomination_id>/letter")
@login_required
def accreditation_letter(event_id: int, nomination_id: int):
    """The nomination letter (PDF) shown in the browser (``?download=1``: saved), for the
    event's organizers only; each read is audited."""
    event, nomination = _load(event_id, nomination_id)
    try:
        letter = accreditation.read_letter(nomination, actor=current_user)
    except ServiceError:
        abort(404)
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response = Response(letter.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="{_letter_filename(nomination)}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # shown in a frame of the nomination page (same origin only); nothing in it may run
    response.headers["Content-Security-Policy"] = \
        "default-src 'none'; frame-ancestors 'self'; sandbox"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/events/<int:event_id>/accreditation/<int:nomination_id>/members/<int:nominee_id>/photo")
@login_required
def accreditation_member_photo(event_id: int, nomination_id: int, nominee_id: int):
    """A nominated member's photo (``?size=thumbnail``), for the event's organizers only."""
    _event, nomination = _load(event_id, nomination_id)
    try:
        member = accreditation.get_member(nomination, nominee_id)
    except NotFound:
        abort(404)
    upload = member.photo_thumbnail if wants_thumbnail() else member.photo
    if upload is None:
        abort(404)
    return photo_response(upload)


# --- decisions -------------------------------------------------------------------------------

def _refused(event, nomination, error: ServiceError, **forms):
    return _render(event, nomination, error=error.message, status=error.status_code, **forms)


@bp.post("/events/<int:event_id>/accreditation/<int:nomination_id>/accredit")
@login_required
def accreditation_accredit(event_id: int, nomination_id: int):
    """Accredit the ticked members."""
    event, nomination = _load(event_id, nomination_id)
    form = AccreditForm()
    if not form.validate_on_submit():
        return _render(event, nomination, accredit_form=form, status=422)
    try:
        done = accreditation.accredit(nomination, form.members.data, actor=current_user)
    except ServiceError as error:
        return _refused(event, nomination, error, accredit_form=form)
    number = len(done.registrations)
    if done.status == RegistrationStatus.WAITLISTED:
        message = ngettext(
            "%(num)d member accredited. The event or the country's quota is full: they are "
            "on the waiting list, together as one delegation.",
            "%(num)d members accredited. The event or the country's quota is full: they are "
            "on the waiting list, together as one delegation.", number)
        flash(message, "warning")
    else:
        flash(ngettext("%(num)d member accredited and confirmed; each was emailed their "
                       "personal link.",
                       "%(num)d members accredited and confirmed; each was emailed their "
                       "personal link.", number), "success")
    return _back(event, nomination)


@bp.post("/events/<int:event_id>/accreditation/<int:nomination_id>/members/<int:nominee_id>/"
         "not-accredited")
@login_required
def accreditation_not_accredited(event_id: int, nomination_id: int, nominee_id: int):
    """Do not accredit one member, with a reason told to the focal point."""
    event, nomination = _load(event_id, nomination_id)
    try:
        member = accreditation.get_member(nomination, nominee_id)
    except NotFound:
        abort(404)
    form = AccreditationReasonForm(prefix=f"m{member.id}")
    if not form.validate_on_submit():
        return _render(event, nomination, reason_forms={member.id: form}, status=422)
    try:
        accreditation.not_accredit(member, form.reason.data, actor=current_user)
    except ServiceError as error:
        return _refused(event, nomination, error, reason_forms={member.id: form})
    flash(_("%(name)s is not accredited; the focal point will be told the reason.",
            name=member.full_name), "success")
    return _back(event, nomination)


@bp.post("/events/<int:event_id>/accreditation/<int:nomination_id>/return")
@login_required
def accreditation_return(event_id: int, nomination_id: int):
    """Return the nomination to its focal point, with a reason (emailed)."""
    event, nomination = _load(event_id, nomination_id)
    form = AccreditationReasonForm(prefix="return")
    if not form.validate_on_submit():
        return _render(event, nomination, return_form=form, status=422)
    try:
        accreditation.return_nomination(nomination, form.reason.data, actor=current_user)
    except ServiceError as error:
        return _refused(event, nomination, error, return_form=form)
    flash(_("The nomination was returned; the focal point was emailed the reason."), "success")
    return redirect(url_for(".accreditation_queue", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/accreditation/<int:nomination_id>/confirm-focal-point")
@login_required
def accreditation_confirm_focal_point(event_id: int, nomination_id: int):
    """Confirm the focal point of a nomination made through a forwarded link."""
    event, nomination = _load(event_id, nomination_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render(event, nomination, error=_("The form expired; please try again."),
                       status=400)
    try:
        accreditation.confirm_focal_point(nomination, actor=current_user)
    except ServiceError as error:
        return _refused(event, nomination, error)
    flash(_("The focal point is confirmed; the nomination can be accredited."), "success")
    return _back(event, nomination)
