"""The "Automatic emails" page of an event: each automatic email on or off with its N days.

Staff with INVITE on the event see and change it; the worker makes the mailings
(services.invitations.automatic_mailings), which then show in the mailing list as automatic.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ..forms import BaseForm
from ..models import Event, MailingKind
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.invitations import automatic_mailings as service
from ..services.invitations import message_templates as wording
from ..view_helpers import attach_error, form_status, load_event
from . import bp
from .forms_mailings import TemplateForm, _body, _subject
from .mailings import BASE


def _days(label):
    return IntegerField(label, validators=[
        InputRequired(message=_l("Give a number of days.")),
        NumberRange(min=service.DAYS_MIN, max=service.DAYS_MAX,
                    message=_l("Give a number of days from %(min)d to %(max)d."))])


class AutomationForm(BaseForm):
    """Each automatic email: on or off, and its N days."""

    event_reminder = BooleanField(_l("Remind confirmed delegates before the event"))
    event_reminder_days = _days(_l("Days before the event starts"))
    deadline_reminder = BooleanField(
        _l("Remind invitees who have not answered before the registration deadline"))
    deadline_reminder_days = _days(_l("Days before registration closes"))
    certificate = BooleanField(_l("Send the certificates after the event"))
    certificate_days = _days(_l("Days after the event ends"))
    survey = BooleanField(_l("Send the feedback survey after the event"))
    survey_days = _days(_l("Days after the event ends"))
    #: the wording of the reminder before the event
    subject_en = _subject()
    body_en = _body()
    subject_id = _subject()
    body_id = _body()

    def values(self) -> dict:
        values = {name: field.data for name, field in self._fields.items()
                  if name != "csrf_token" and not name.startswith(("subject_", "body_"))}
        values["event_reminder_wording"] = TemplateForm.wording(self)
        return values


def _render(event: Event, form: AutomationForm, status: int = 200):
    automation = service.get_automation(event)
    return render_template(
        "invitations/automation.html", event=event, form=form, labels=service.LABELS,
        automatic=service.AUTOMATIC, made=service.automatic_mailings_of(event),
        sendable={what: service.sendable(what) for what in service.AUTOMATIC},
        moments={what: service.moment(event, automation, what)
                 for what in service.AUTOMATIC},
        window_days=service.AFTER_EVENT_WINDOW_DAYS, badge_help=service.BADGE_HELP,
        placeholders=[(name, wording.PLACEHOLDER_HELP[name])
                      for name in wording.ALLOWED[MailingKind.ANNOUNCEMENT]]), status


@bp.route(f"{BASE}/automatic", methods=["GET", "POST"])
@login_required
def automation(event_id: int):
    """The event's automatic emails; POST saves them."""
    event = load_event(event_id, Permission.INVITE)
    if request.method != "POST":
        row = service.get_automation(event)
        texts = service.reminder_wording(row)
        form = AutomationForm(formdata=None, obj=row, **{
            f"{field}_{language}": texts[language][field]
            for language in texts for field in ("subject", "body")})
        return _render(event, form)
    form = AutomationForm()
    if not form.validate_on_submit():
        return _render(event, form, form_status(form))
    try:
        service.save_automation(event, form.values(), actor=current_user)
    except ServiceError as error:
        return _render(event, form, attach_error(form, error))
    flash(_("The automatic emails have been saved."), "success")
    return redirect(url_for(".automation", event_id=event.id), 303)
