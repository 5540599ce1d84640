"""Staff login (password, then a code when the account has two-factor sign-in), logout that
ends every session of the account, and the user's own account page."""

import logging

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..extensions import limiter
from ..i18n import LANGUAGE_COOKIE
from ..services.accounts.two_factor import must_enrol
from ..services.accounts.users import (
    change_password,
    check_credentials,
    log_out_everywhere,
    record_login,
    update_profile,
)
from ..services.errors import ServiceError
from ..view_helpers import form_status
from ..web import safe_next_url
from . import bp
from .forms import AccountProfileForm, LoginForm, PasswordChangeForm
from .sessions import start_pending_login, start_session

log = logging.getLogger(__name__)

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _after_login_url(target: str | None) -> str:
    return safe_next_url(target, url_for("manage.index"))


def _set_language_cookie(response, language: str):
    if not language:  # the account follows the device's language (Accept-Language)
        response.delete_cookie(LANGUAGE_COOKIE)
        return response
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response


@bp.route("/manage/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Check the password; then ask for a code, or log in on a renewed session."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_after_login_url(request.args.get("next")))
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = check_credentials(email=form.email.data, password=form.password.data)
        except ServiceError as error:
            form.form_errors.append(error.message)
            return render_template("auth/login.html", form=form), error.status_code
        target = _after_login_url(form.next.data)
        if user.has_two_factor:
            start_pending_login(user, target)
            return redirect(url_for("auth.login_code"))
        record_login(user)
        return complete_login(user, target)
    status = form_status(form)
    return render_template("auth/login.html", form=form), status


def complete_login(user, target: str):
    """Start the session of ``user`` and send them on (to the set-up when it is compulsory)."""
    start_session(user)
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    if must_enrol(user):
        flash(_("Your account must use two-factor sign-in. Set it up to continue."), "warning")
        target = url_for("auth.two_factor")
    return _set_language_cookie(redirect(target), user.language)


@bp.post("/manage/logout")
@login_required
def logout():
    """End every session of the account, this one included (POST only, with its CSRF token)."""
    log_out_everywhere(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/manage/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own name, interface language and password."""
    user = current_user._get_current_object()
    sent_password = request.method == "POST" and "submit_password" in request.form
    sent_profile = request.method == "POST" and not sent_password
    profile_form = AccountProfileForm(formdata=None if not sent_profile else request.form, obj=user)
    password_form = PasswordChangeForm(formdata=request.form if sent_password else None)
    if sent_profile and profile_form.validate():
        return _save_profile(user, profile_form, password_form)
    if sent_password and password_form.validate():
        return _save_password(user, profile_form, password_form)
    status = 422 if request.method == "POST" else 200
    return _render_account(profile_form, password_form, status)


def _render_account(profile_form, password_form, status: int = 200):
    return render_template(
        "auth/account.html", profile_form=profile_form, password_form=password_form
    ), status


def _save_profile(user, profile_form, password_form):
    try:
        update_profile(user, name=profile_form.name.data, language=profile_form.language.data)
    except ServiceError as error:
        _field_errors(profile_form, error).append(error.message)
        return _render_account(profile_form, password_form, 422)
    flash(_("Your account was saved."), "success")
    return _set_language_cookie(redirect(url_for("auth.account")), user.language)


def _save_password(user, profile_form, password_form):
    try:
        change_password(
            user,
            current_password=password_form.current_password.data,
            new_password=password_form.new_password.data,
        )
    except ServiceError as error:
        _field_errors(password_form, error).append(error.message)
        return _render_account(profile_form, password_form, 422)
    start_session(user)  # the session now carries the new nonce
    flash(
        _("Your password was changed. Other sessions of your account have been logged out."),
        "success",
    )
    return redirect(url_for("auth.account"))


def _field_errors(form, error: ServiceError) -> list:
    """The error list of the field the error names, or the form's own list."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return form.form_errors
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    return field.errors
