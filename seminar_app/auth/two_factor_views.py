"""Two-factor sign-in pages: the code after the password, and the account's own set-up."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import limiter
from ..services.accounts.two_factor import (
    begin_enrolment,
    confirm_enrolment,
    disable_two_factor,
    grouped_secret,
    issuer_name,
    log_in_with_code,
    provisioning_uri,
    qr_code_data_uri,
    regenerate_recovery_codes,
    remaining_recovery_codes,
    two_factor_required,
)
from ..services.errors import ServiceError
from ..view_helpers import attach_error, form_status
from . import bp
from .forms import LoginCodeForm, TwoFactorConfirmationForm, TwoFactorEnrolForm
from .sessions import pending_login, pending_login_key, start_session
from .views import complete_login


def _code_rate_limit() -> str:
    return current_app.config["TWO_FACTOR_RATE_LIMIT"]


@bp.route("/manage/login/code", methods=["GET", "POST"])
@limiter.limit(_code_rate_limit, methods=["POST"])
@limiter.limit(_code_rate_limit, methods=["POST"], key_func=pending_login_key)
def login_code():
    """The second step of a login: a code from the app or a recovery code."""
    user, target = pending_login()
    if user is None:
        flash(_("Your login was interrupted or took too long. Log in again."), "warning")
        return redirect(url_for("auth.login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        try:
            method, left = log_in_with_code(user, code=form.code.data)
        except ServiceError as error:
            status = attach_error(form, error)
            return render_template("auth/login_code.html", form=form, issuer=issuer_name()), (
                401 if error.status_code == 401 else status)
        response = complete_login(user, target)
        if method == "recovery_code":
            flash(_("You used a recovery code; %(count)d left. Make new ones on your account "
                    "page if you are running out.", count=left), "warning")
        return response
    return render_template("auth/login_code.html", form=form,
                           issuer=issuer_name()), form_status(form)


def _render_manage(status: int = 200, *, confirm_form=None, disable_form=None):
    user = current_user._get_current_object()
    return render_template(
        "auth/two_factor_manage.html",
        remaining=remaining_recovery_codes(user),
        required=two_factor_required(user),
        confirm_form=confirm_form or TwoFactorConfirmationForm(formdata=None),
        disable_form=disable_form or TwoFactorConfirmationForm(formdata=None, prefix="off"),
    ), status


def _render_enrol(form, status: int = 200):
    user = current_user._get_current_object()
    secret = begin_enrolment(user)
    return render_template(
        "auth/two_factor_enrol.html", form=form, secret=grouped_secret(secret),
        qr_code=qr_code_data_uri(provisioning_uri(user)), required=two_factor_required(user),
    ), status


@bp.get("/manage/account/two-factor")
@login_required
def two_factor():
    """Set-up (QR code, secret, first code) when off; state and changes when on."""
    if current_user.has_two_factor:
        return _render_manage()
    return _render_enrol(TwoFactorEnrolForm(formdata=None))


@bp.post("/manage/account/two-factor/enrol")
@login_required
@limiter.limit(_code_rate_limit)
def two_factor_enrol():
    """Switch two-factor sign-in on with the first code; show the recovery codes once."""
    user = current_user._get_current_object()
    if user.has_two_factor:
        return redirect(url_for("auth.two_factor"))
    form = TwoFactorEnrolForm()
    if not form.validate_on_submit():
        return _render_enrol(form, form_status(form))
    try:
        codes = confirm_enrolment(user, code=form.code.data)
    except ServiceError as error:
        return _render_enrol(form, attach_error(form, error))
    start_session(user)  # the other sessions ended with the nonce; this one goes on
    flash(_("Two-factor sign-in is on. Other sessions of your account have been logged out."),
          "success")
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/manage/account/two-factor/recovery-codes")
@login_required
@limiter.limit(_code_rate_limit)
def two_factor_recovery_codes():
    """New recovery codes, shown once (the current password or a code first)."""
    user = current_user._get_current_object()
    form = TwoFactorConfirmationForm()
    if not user.has_two_factor:
        return redirect(url_for("auth.two_factor"))
    if not form.validate_on_submit():
        return _render_manage(form_status(form), confirm_form=form)
    try:
        codes = regenerate_recovery_codes(user, confirmation=form.confirmation.data)
    except ServiceError as error:
        return _render_manage(attach_error(form, error), confirm_form=form)
    flash(_("New recovery codes were made; the old ones no longer work."), "success")
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/manage/account/two-factor/disable")
@login_required
@limiter.limit(_code_rate_limit)
def two_factor_disable():
    """Switch two-factor sign-in off (the current password or a code first)."""
    user = current_user._get_current_object()
    form = TwoFactorConfirmationForm(prefix="off")
    if not user.has_two_factor:
        return redirect(url_for("auth.two_factor"))
    if not form.validate_on_submit():
        return _render_manage(form_status(form), disable_form=form)
    try:
        disable_two_factor(user, confirmation=form.confirmation.data)
    except ServiceError as error:
        return _render_manage(attach_error(form, error), disable_form=form)
    start_session(user)
    flash(_("Two-factor sign-in is off. Other sessions of your account have been logged out."),
          "info")
    return redirect(url_for("auth.two_factor"))
