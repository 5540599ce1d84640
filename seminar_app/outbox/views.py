"""Staff pages under /manage/emails: the outbox, one email, retries and a test message.

Every view: login required -> load the email (404) -> check access (403) -> form -> one
service call -> flash -> redirect. Rules live in services.mail.outbox_admin.
"""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import OutboxEmail
from ..services.access import Permission
from ..services.errors import ServiceError
from ..services.mail.deferred import never_prepared
from ..services.mail.outbox_admin import (
    can_view_email,
    count_emails_by_status,
    describe_error,
    emails_query,
    mailable_events,
    redact_personal_links,
    retry_email,
    retry_failed_emails,
)
from ..services.notifications import send_test_email
from ..view_helpers import load_event, requested_page
from . import bp
from .forms import STATUS_LABELS, EmailActionForm, EmailFilterForm, EmailRetryFailedForm

PER_PAGE = 50


def _load_email(email_id: int) -> OutboxEmail:
    """The email (404 if missing) when the current user may see it (else 403)."""
    email = db.get_or_404(OutboxEmail, email_id)
    if not can_view_email(current_user, email):
        abort(403)
    return email


def _display_zone(email: OutboxEmail) -> str:
    if email.event is not None:
        return email.event.timezone
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC"


def _helpers() -> dict:
    return {"describe_error": describe_error, "display_zone": _display_zone,
            "redact": redact_personal_links, "never_prepared": never_prepared,
            "status_labels": {status.value: label for status, label in STATUS_LABELS.items()},
            "no_server": not current_app.config.get("MAIL_SERVER")}


def _filters(form: EmailFilterForm) -> dict:
    """The valid filter values of the list form."""
    event_id = form.event_id.data
    return {"status": form.status.data or "", "search": (form.q.data or "").strip(),
            "event_id": int(event_id) if event_id else None}


def _link_base_mismatch() -> dict | None:
    """For admins: BASE_URL and the address this page was opened at, when their hosts differ."""
    base = (current_app.config.get("BASE_URL") or "").strip()
    if not base or not current_user.is_admin:
        return None
    configured = urlsplit(base).netloc.lower()
    if configured == request.host.lower():
        return None
    return {"base": base, "here": request.host_url}


@bp.get("/manage/emails")
@login_required
def index():
    """The emails the current user may see, with counters, filters and pages."""
    form = EmailFilterForm(request.args)
    form.event_id.choices = [SelectChoice("", _("All events"))] + [
        SelectChoice(str(event.id), event.title) for event in mailable_events(current_user)]
    valid = form.validate()
    filters = _filters(form) if valid else {"status": "", "search": "", "event_id": None}
    query = emails_query(current_user, **filters).options(selectinload(OutboxEmail.event))
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    counts = count_emails_by_status(current_user, event_id=filters["event_id"])
    return render_template(
        "outbox/email_list.html", form=form, page=page, counts=counts, filters=filters,
        retry_form=EmailRetryFailedForm(formdata=None, data={"event_id": filters["event_id"]}),
        action_form=EmailActionForm(formdata=None), link_mismatch=_link_base_mismatch(),
        **_helpers(),
    ), (200 if valid else 422)


def _render_show(email: OutboxEmail, *, error: str | None = None, status: int = 200):
    return render_template("outbox/email_show.html", email=email, error=error,
                           action_form=EmailActionForm(formdata=None), **_helpers()), status


@bp.get("/manage/emails/<int:email_id>")
@login_required
def show(email_id: int):
    """One email: headers, text, delivery state."""
    return _render_show(_load_email(email_id))


@bp.post("/manage/emails/<int:email_id>/retry")
@login_required
def retry(email_id: int):
    """Send a failed or waiting email again now."""
    email = _load_email(email_id)
    if not EmailActionForm().validate_on_submit():
        abort(400)
    try:
        retry_email(email, actor=current_user)
    except ServiceError as error:
        return _render_show(email, error=error.message, status=error.status_code)
    flash(_("The email to %(email)s will be sent again.", email=email.recipient), "success")
    return redirect(url_for(".show", email_id=email.id))


@bp.post("/manage/emails/retry-failed")
@login_required
def retry_failed():
    """Send every failed email again: of one event, or all of them (administrators)."""
    form = EmailRetryFailedForm()
    if not form.validate_on_submit():
        abort(400)
    event = None
    if form.event_id.data:
        event = load_event(form.event_id.data, Permission.INVITE)
    elif not current_user.is_admin:
        abort(403)
    try:
        count = retry_failed_emails(actor=current_user, event=event)
    except ServiceError as error:
        abort(error.status_code)
    flash(ngettext("%(num)d failed email will be sent again.",
                   "%(num)d failed emails will be sent again.", count), "success")
    return redirect(url_for(".index", event_id=event.id if event else None))


@bp.post("/manage/emails/test")
@login_required
def send_test():
    """Send a test message to the administrator's own address."""
    if not current_user.is_admin:
        abort(403)
    if not EmailActionForm().validate_on_submit():
        abort(400)
    email = send_test_email(to=current_user.email, user=current_user)
    flash(_("A test message to %(email)s was queued.", email=email.recipient), "success")
    return redirect(url_for(".show", email_id=email.id))
