"""Staff pages of mailings and message templates; the public unsubscribe page.

Staff (INVITE on the event) edit the wording of each kind of mailing, preview it for a person,
send themselves a test, compose a mailing for an audience, confirm it after seeing who receives
it and who is left out, and follow its progress. Rules live in services.invitations.mailings,
services.invitations.mailing_audiences and services.invitations.message_templates.
"""

import logging
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..extensions import csrf
from ..i18n import local_datetime
from ..models import Event, MailingKind
from ..services.access import Permission
from ..services.errors import NotFound, ServiceError
from ..services.invitations import mailing_audiences as audiences
from ..services.invitations import mailings as service
from ..services.invitations import message_templates as wording
from ..services.invitations import scheduling
from ..services.invitations.automatic_mailings import LABELS as AUTOMATIC_LABELS
from ..services.mail.outbox_admin import describe_error, retry_failed_emails
from ..view_helpers import attach_error, form_status, load_event
from . import bp, public_bp
from .forms_mailings import (
    AUDIENCE_LABELS,
    KIND_LABELS,
    ComposeForm,
    ConfirmForm,
    CountForm,
    MailingActionForm,
    PreviewForm,
    RescheduleForm,
    ScheduledEditForm,
    SendTestForm,
    TemplateForm,
    new_send_key,
)

log = logging.getLogger(__name__)

BASE = "/events/<int:event_id>/invitations"


def _kind(value: str) -> MailingKind:
    try:
        return service.parse_kind(value)
    except NotFound:
        abort(404)


def _person_label(person) -> str:
    return f"{person.full_name} <{person.email}>"


def _preview(event: Event, kind: MailingKind) -> dict:
    """The preview form, the chosen person and the email they would get (GET ?person=)."""
    form = PreviewForm(request.args)
    people = service.preview_people(event, kind)
    form.person.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(str(person.id), _person_label(person)) for person in people]
    person = email = None
    if form.person.data:
        if not form.validate():  # not a person of this event
            abort(404)
        try:
            person = service.get_preview_person(event, kind, int(form.person.data))
        except (ServiceError, ValueError):
            abort(404)
        email = service.preview(event, kind, person)
    test_form = SendTestForm(formdata=None, data={"person": person.id if person else None})
    return {"preview_form": form, "preview_person": person, "preview_email": email,
            "test_form": test_form}


def _common(event: Event, kind: MailingKind) -> dict:
    return {"event": event, "kind": kind, "kind_labels": KIND_LABELS,
            "placeholders": [(name, wording.PLACEHOLDER_HELP[name])
                             for name in wording.ALLOWED[kind]]}


# --- templates -------------------------------------------------------------------------------

def _render_template_edit(event: Event, kind: MailingKind, form: TemplateForm, status=200):
    return render_template("invitations/template_edit.html", form=form,
                           saved=bool(wording.saved_templates(event, kind)),
                           **_common(event, kind), **_preview(event, kind)), status


@bp.route(f"{BASE}/templates/<kind>", methods=["GET", "POST"])
@login_required
def template_edit(event_id: int, kind: str):
    """The wording of one kind of mailing, in both languages, with a preview."""
    event = load_event(event_id, Permission.INVITE)
    kind = _kind(kind)
    if request.method != "POST":
        content = wording.template_content(event, kind)
        form = TemplateForm(formdata=None, data={
            f"{field}_{language}": content[language][field]
            for language in wording.LANGUAGES for field in ("subject", "body")})
        return _render_template_edit(event, kind, form)
    form = TemplateForm()
    if not form.validate_on_submit():
        return _render_template_edit(event, kind, form, form_status(form))
    try:
        wording.save_templates(event, kind, form.wording(), actor=current_user)
    except ServiceError as error:
        return _render_template_edit(event, kind, form, attach_error(form, error))
    flash(_("The wording has been saved."), "success")
    return redirect(url_for(".template_edit", event_id=event.id, kind=kind.value), 303)


@bp.post(f"{BASE}/templates/<kind>/test")
@login_required
def template_test(event_id: int, kind: str):
    """Send the email as the chosen person would get it to the current user."""
    event = load_event(event_id, Permission.INVITE)
    kind = _kind(kind)
    form = SendTestForm()
    if not form.validate_on_submit():
        flash(_("Choose a person to preview first."), "danger")
        return redirect(url_for(".template_edit", event_id=event.id, kind=kind.value), 303)
    try:
        person = service.get_preview_person(event, kind, form.person.data)
    except ServiceError:
        abort(404)
    service.send_test(event, kind, person, actor=current_user)
    flash(_("A test email has been sent to %(email)s.", email=current_user.email), "success")
    back = request.form.get("back") == "compose"
    target = (url_for(".compose", event_id=event.id, kind=kind.value, person=person.id) if back
              else url_for(".template_edit", event_id=event.id, kind=kind.value,
                           person=person.id))
    return redirect(target, 303)


# --- mailings --------------------------------------------------------------------------------

@bp.get(f"{BASE}/mailings")
@login_required
def mailings(event_id: int):
    """The event's mailings with their progress, and links to compose one."""
    event = load_event(event_id, Permission.INVITE)
    items = service.event_mailings(event)
    return render_template("invitations/mailing_list.html", event=event, mailings=items,
                           progress=service.progress_of(items), kind_labels=KIND_LABELS,
                           kinds=list(audiences.AUDIENCES),
                           states={m.id: scheduling.mailing_state(m) for m in items},
                           automatic_labels=AUTOMATIC_LABELS)


def _compose_form(event: Event, kind: MailingKind, form_class, formdata=None, **data):
    form = form_class(formdata=formdata, **data) if formdata is not None or data else \
        form_class(formdata=None)
    form.limit_choices(kind, audiences.AUDIENCES[kind], audiences.event_groups(event),
                       audiences.ANNOUNCEMENT_STATUSES)
    return form


def _render_compose(event: Event, kind: MailingKind, form: ComposeForm, counts=None,
                    status: int = 200):
    if counts is None:
        try:
            counts = audiences.count_audience(
                event, kind, audiences.check_audience(event, kind, form.audience_data()))
        except ServiceError as error:
            counts = None
            if error.field == "audience" and error.message not in form.audience.errors:
                attach_error(form, error)  # e.g. the survey is not open yet: say so now
    left_out = [(reason, label, counts[reason]) for reason, label
                in audiences.LEFT_OUT_LABELS.items() if counts and counts.get(reason)]
    return render_template("invitations/mailing_compose.html", form=form, counts=counts,
                           left_out=left_out, audience_labels=AUDIENCE_LABELS,
                           **_common(event, kind), **_preview(event, kind)), status


def _render_confirm(event: Event, kind: MailingKind, form: ConfirmForm, changed: str = ""):
    """The breakdown of the chosen audience and the button that confirms it; nothing queued."""
    try:
        audience = audiences.check_audience(event, kind, form.audience_data())
        breakdown = audiences.audience_breakdown(event, kind, audience)
        if breakdown.recipients == 0 and not form.scheduled_for.data:
            raise ServiceError(_("Nobody would receive this mailing."), field="audience")
    except ServiceError as error:
        return _render_compose(event, kind, form, status=attach_error(form, error))
    form.confirmed.data, form.expected.data = "1", breakdown.recipients
    return render_template("invitations/mailing_confirm.html", form=form, audience=audience,
                           breakdown=breakdown, changed=changed,
                           audience_labels=AUDIENCE_LABELS,
                           left_out_labels=audiences.LEFT_OUT_LABELS,
                           **_common(event, kind)), 409 if changed else 200


@bp.route(f"{BASE}/mailings/new", methods=["GET", "POST"])
@login_required
def compose(event_id: int):
    """Compose a mailing of ?kind=: its audience (counted), preview, test; "Send now" shows who
    receives it and who is left out, and only the confirmation on that page sends it."""
    event = load_event(event_id, Permission.INVITE)
    kind = _kind(request.values.get("kind", MailingKind.INVITATION.value))
    if request.method != "POST":
        defaults = {"send_key": new_send_key(),
                    "attach_calendar": kind == MailingKind.INVITATION,
                    "statuses": list(audiences.DEFAULT_STATUSES)}
        if "audience" in request.args:  # the audience changed: count again, keep the key
            form = _compose_form(event, kind, CountForm, formdata=request.args)
            form.validate()
            if not form.send_key.data or form.send_key.errors:
                form.send_key.data = defaults["send_key"]
        else:
            form = _compose_form(event, kind, CountForm, data=defaults)
        return _render_compose(event, kind, form)
    form = _compose_form(event, kind, ConfirmForm, formdata=request.form)
    if not form.validate_on_submit():
        return _render_compose(event, kind, form, status=form_status(form))
    if form.confirmed_count() is None:
        return _render_confirm(event, kind, form)
    try:
        mailing, created = service.create_mailing(
            event, kind, form.audience_data(), send_key=form.send_key.data,
            attach_calendar=form.attach_calendar.data, actor=current_user,
            expected=form.confirmed_count(), scheduled_at=form.scheduled_for.data)
    except service.AudienceChanged as error:
        return _render_confirm(event, kind, form, changed=error.message)
    except ServiceError as error:
        if error.field == "scheduled_at":
            error.field = "scheduled_for"
        return _render_compose(event, kind, form, status=attach_error(form, error))
    if created and mailing.scheduled_at is not None:
        flash(_("The mailing is scheduled for %(time)s; its recipients are counted again "
                "then.", time=local_datetime(mailing.scheduled_at, event.timezone)), "success")
    elif created:
        flash(ngettext("The mailing to %(num)d person is being sent.",
                       "The mailing to %(num)d people is being sent.",
                       mailing.recipient_count), "success")
    else:
        flash(_("This mailing had already been sent; it was not sent again."), "info")
    return redirect(url_for(".mailing_show", event_id=event.id, mailing_id=mailing.id), 303)


def _mailing(event_id: int, mailing_id: int):
    event = load_event(event_id, Permission.INVITE)
    try:
        return event, service.get_mailing(event, mailing_id)
    except ServiceError:
        abort(404)


def _progress_context(event, mailing) -> dict:
    return {"event": event, "mailing": mailing,
            "progress": service.progress_of([mailing])[mailing.id],
            "failed": service.failed_emails(mailing), "describe_error": describe_error,
            "no_server": not current_app.config.get("MAIL_SERVER"),
            "kind_labels": KIND_LABELS, "audience_labels": AUDIENCE_LABELS,
            "action_form": MailingActionForm(formdata=None),
            "subjects": service.shown_subjects(mailing),
            "state": scheduling.mailing_state(mailing),
            "cancelled_at_its_time": scheduling.cancelled_at_its_time(mailing),
            "reschedule_form": RescheduleForm(formdata=None, data={
                "scheduled_for": _local(mailing.scheduled_at, event)})}


def _local(moment, event: Event):
    """``moment`` as a naive time in the event's zone (what a datetime-local field shows)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)


@bp.get(f"{BASE}/mailings/<int:mailing_id>")
@login_required
def mailing_show(event_id: int, mailing_id: int):
    """One mailing: its audience, wording and live progress."""
    event, mailing = _mailing(event_id, mailing_id)
    return render_template("invitations/mailing_show.html", **_progress_context(event, mailing))


@bp.get(f"{BASE}/mailings/<int:mailing_id>/progress")
@login_required
def mailing_progress(event_id: int, mailing_id: int):
    """The progress fragment, polled by htmx every two seconds until the mailing is done."""
    event, mailing = _mailing(event_id, mailing_id)
    return render_template("invitations/mailing_progress.html",
                           **_progress_context(event, mailing))


@bp.post(f"{BASE}/mailings/<int:mailing_id>/reschedule")
@login_required
def mailing_reschedule(event_id: int, mailing_id: int):
    """Move a scheduled mailing to another time (until it starts)."""
    event, mailing = _mailing(event_id, mailing_id)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _render_show(event, mailing, form, form_status(form))
    try:
        scheduling.update_scheduled_mailing(mailing, actor=current_user,
                                            scheduled_at=form.scheduled_for.data)
    except ServiceError as error:
        if error.field == "scheduled_at":
            error.field = "scheduled_for"
        return _render_show(event, mailing, form, attach_error(form, error))
    flash(_("The mailing is now scheduled for %(time)s.",
            time=local_datetime(mailing.scheduled_at, event.timezone)), "success")
    return redirect(url_for(".mailing_show", event_id=event.id, mailing_id=mailing.id), 303)


def _render_edit(event, mailing, form, status=200):
    return render_template("invitations/mailing_edit.html", mailing=mailing,
                           form=form, audience_labels=AUDIENCE_LABELS,
                           **_common(event, mailing.kind)), status


@bp.route(f"{BASE}/mailings/<int:mailing_id>/edit", methods=["GET", "POST"])
@login_required
def mailing_edit(event_id: int, mailing_id: int):
    """Change a scheduled mailing's recipients, time and wording (until it starts)."""
    event, mailing = _mailing(event_id, mailing_id)
    if request.method != "POST" and not scheduling.is_scheduled(mailing):
        flash(_(
            "This mailing has already started: it can no longer be changed or cancelled.")
            if mailing.cancelled_at is None else
            _("This mailing was cancelled: it can no longer be changed."), "info")
        return _render_show(event, mailing, RescheduleForm(formdata=None), 200)
    kind = mailing.kind
    if request.method != "POST":
        data = {"scheduled_for": _local(mailing.scheduled_at, event),
                "attach_calendar": mailing.attach_calendar, **mailing.audience}
        for language in wording.LANGUAGES:
            item = (mailing.content or {}).get(language) or {}
            data[f"subject_{language}"] = item.get("subject", "")
            data[f"body_{language}"] = item.get("body", "")
        form = _compose_form(event, kind, ScheduledEditForm, data=data)
        return _render_edit(event, mailing, form)
    form = _compose_form(event, kind, ScheduledEditForm, formdata=request.form)
    if not form.validate_on_submit():
        return _render_edit(event, mailing, form, form_status(form))
    try:
        scheduling.update_scheduled_mailing(
            mailing, actor=current_user, scheduled_at=form.scheduled_for.data,
            audience=form.audience_data(), content=form.wording(),
            attach_calendar=form.attach_calendar.data)
    except ServiceError as error:
        if error.field == "scheduled_at":
            error.field = "scheduled_for"
        return _render_edit(event, mailing, form, attach_error(form, error))
    flash(_("The scheduled mailing has been changed."), "success")
    return redirect(url_for(".mailing_show", event_id=event.id, mailing_id=mailing.id), 303)


def _render_show(event, mailing, form, status):
    context = _progress_context(event, mailing)
    context["reschedule_form"] = form
    return render_template("invitations/mailing_show.html", **context), status


@bp.post(f"{BASE}/mailings/<int:mailing_id>/cancel")
@login_required
def mailing_cancel(event_id: int, mailing_id: int):
    """Cancel a scheduled mailing: it will never start (409 once it has started)."""
    event, mailing = _mailing(event_id, mailing_id)
    if not MailingActionForm().validate_on_submit():
        abort(400)
    try:
        scheduling.cancel_scheduled_mailing(mailing, actor=current_user)
    except ServiceError as error:
        flash(error.message, "danger")
        return _render_show(event, mailing, RescheduleForm(formdata=None), error.status_code)
    flash(_("The mailing has been cancelled: it will not be sent."), "success")
    return redirect(url_for(".mailing_show", event_id=event.id, mailing_id=mailing.id), 303)


@bp.post(f"{BASE}/mailings/<int:mailing_id>/retry")
@login_required
def mailing_retry(event_id: int, mailing_id: int):
    """Send the mailing's failed emails again."""
    event, mailing = _mailing(event_id, mailing_id)
    if not MailingActionForm().validate_on_submit():
        abort(400)
    try:
        count = retry_failed_emails(actor=current_user, event=event, mailing=mailing)
    except ServiceError:
        abort(403)
    flash(ngettext("%(num)d email will be sent again.", "%(num)d emails will be sent again.",
                   count), "success")
    return redirect(url_for(".mailing_show", event_id=event.id, mailing_id=mailing.id), 303)


# --- unsubscribe (public) --------------------------------------------------------------------

def _unsubscribe_target(token: str):
    try:
        return service.get_unsubscribe_target(token)
    except ServiceError as error:
        return render_template("invitations/mailing_unsubscribe.html", error=error.message,
                               person=None, event=None), 404


# RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the URL of
# the List-Unsubscribe header with no page, cookie or CSRF token, so this route cannot ask for
# one. It is safe without: the URL carries an HMAC that only the addressee has, and a POST can
# do exactly one thing, set unsubscribed_at (idempotent) for that one person.
@csrf.exempt
@public_bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET: ask to confirm (changes nothing: mail scanners open links). POST: unsubscribe."""
    if request.method != "POST":
        person = _unsubscribe_target(token)
        if isinstance(person, tuple):
            return person
        return render_template("invitations/mailing_unsubscribe.html", person=person,
                               token=token, event=person.event, error=None, done=False)
    try:
        person = service.unsubscribe(token)
    except ServiceError as error:
        return render_template("invitations/mailing_unsubscribe.html", error=error.message,
                               person=None, event=None), 404
    if request.form.get("List-Unsubscribe") == "One-Click":
        return _("You have been unsubscribed."), 200, {"Content-Type": "text/plain"}
    return render_template("invitations/mailing_unsubscribe.html", person=person, token=token,
                           event=person.event, error=None, done=True)
