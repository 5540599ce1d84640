"""Password reset by email: asking for a link, and choosing a new password through it."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import limiter
from ..services.accounts.password_reset import (
    InvalidResetLink,
    request_password_reset,
    reset_password,
    user_for_reset_token,
)
from ..services.errors import ServiceError
from ..view_helpers import attach_error, form_status
from . import bp
from .forms import PasswordForgotForm, PasswordResetForm


@bp.route("/manage/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def password_forgot():
    """Ask for a reset link; the answer is the same whether the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = PasswordForgotForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(_("If an active staff account has this address, we have sent it a link to "
                "choose a new password. The link works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_forgot.html", form=form), form_status(form)


@bp.route("/manage/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def password_reset(token: str):
    """Choose a new password through the link of a reset email (GET only shows the form)."""
    try:
        user_for_reset_token(token)
    except InvalidResetLink as error:
        return render_template("auth/password_reset_invalid.html", message=error.message), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            reset_password(token, password=form.new_password.data)
        except InvalidResetLink as error:
            return render_template("auth/password_reset_invalid.html",
                                   message=error.message), 400
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("auth/password_reset.html", form=form), status
        flash(_("Your new password is saved and every session of your account has ended. "
                "Log in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form), form_status(form)
