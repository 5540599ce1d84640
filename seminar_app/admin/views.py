"""Pages where administrators list, create and change staff accounts (and reset their
two-factor sign-in), and read the audit log."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..models import User
from ..services.accounts.two_factor import reset_two_factor
from ..services.accounts.users import create_user, list_users, update_user
from ..services.audit_log import (
    AUDIT_PER_PAGE,
    audit_entries_query,
    audit_filter_events,
    audit_filter_users,
    compact_details,
)
from ..services.errors import ServiceError
from ..view_helpers import attach_error, form_status, requested_page
from . import bp
from .forms import AuditFilterForm, UserCreateForm, UserEditForm


@bp.before_request
@login_required
def _require_admin():
    """Every page of this blueprint: anonymous visitors log in first, non-admins get 403."""
    if not current_user.is_admin:
        abort(403)


@bp.get("/manage/users")
def users():
    """Every staff account with its role and state."""
    return render_template("admin/user_list.html", users=list_users())


@bp.route("/manage/users/new", methods=["GET", "POST"])
def user_create():
    """Create a staff account with an initial password."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                language=form.language.data,
            )
        except ServiceError as error:
            return _form_error(form, error, user=None)
        flash(_("The account of %(name)s was created.", name=user.name), "success")
        return redirect(url_for("admin.users"))
    return _render_form(form, None, form_status(form))


@bp.route("/manage/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    """Change an account's name, role, language, state or password."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            update_user(
                user,
                actor=current_user._get_current_object(),
                name=form.name.data,
                role=form.role.data,
                active=form.active.data,
                language=form.language.data,
                password=form.password.data or "",
            )
        except ServiceError as error:
            return _form_error(form, error, user=user)
        flash(_("The account of %(name)s was saved.", name=user.name), "success")
        return redirect(url_for("admin.users"))
    return _render_form(form, user, form_status(form))


@bp.post("/manage/users/<int:user_id>/two-factor/reset")
def user_two_factor_reset(user_id: int):
    """Switch off an account's two-factor sign-in (lost phone); its sessions end."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        reset_two_factor(user, actor=current_user._get_current_object())
    except ServiceError as error:
        return _form_error(UserEditForm(formdata=None, obj=user), error, user=user)
    flash(_("Two-factor sign-in of %(name)s was reset; they can log in with their password "
            "and set it up again.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _render_form(form, user: User | None, status: int):
    return render_template("admin/user_form.html", form=form, user=user), status


def _form_error(form, error: ServiceError, *, user: User | None):
    """Show a refused change next to its field and answer with a 4xx status.

    Unlike other forms, a refused account change answers with the error's own status
    (404, 409) and only 400 and 403 become 422.
    """
    attach_error(form, error)
    status = 422 if error.status_code in (400, 403) else error.status_code
    return _render_form(form, user, status)


@bp.get("/manage/audit")
def audit():
    """The audit log: who did what to which object, newest first, filtered and paged."""
    form = AuditFilterForm(request.args)
    form.event_id.choices = [SelectChoice("", _("All events"))] + [
        SelectChoice(str(row.id), row.title) for row in db.session.execute(audit_filter_events())]
    form.user_id.choices = [SelectChoice("", _("All accounts"))] + [
        SelectChoice(str(row.id), f"{row.name} <{row.email}>")
        for row in db.session.execute(audit_filter_users())]
    valid = form.validate()
    filters = _audit_filters(form) if valid else {}
    page = db.paginate(audit_entries_query(**filters), page=requested_page(),
                       per_page=AUDIT_PER_PAGE, error_out=False, count=True)
    return render_template(
        "admin/audit_list.html", form=form, page=page, compact_details=compact_details,
        page_args={key: request.args.get(key) for key in ("event_id", "action", "user_id")
                   if valid and request.args.get(key)},
    ), (200 if valid else 422)


def _audit_filters(form: AuditFilterForm) -> dict:
    """The valid filter values of the audit log form, as audit_entries_query options."""
    return {
        "event_id": int(form.event_id.data) if form.event_id.data else None,
        "action_prefix": (form.action.data or "").strip(),
        "user_id": int(form.user_id.data) if form.user_id.data else None,
    }
