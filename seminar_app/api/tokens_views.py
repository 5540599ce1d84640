"""Staff pages for API tokens, under /manage/api-tokens: list, create (the token is shown
once), revoke.

Everyone sees their own tokens; administrators see every token. Only people who work on at
least one event (organizers, administrators, team members) may open these pages.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import BaseForm
from ..services.accounts import api_tokens
from ..services.errors import ServiceError
from ..view_helpers import attach_error, form_status

bp = Blueprint("api_tokens", __name__, url_prefix="/manage/api-tokens")


class EventCheckboxes(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(BaseForm):
    """A new token: its name, what it may do, where and until when."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("This field is required.")),
        Length(max=api_tokens.NAME_MAX, message=_l("At most %(max)d characters."))],
        description=_l("What the token is for, e.g. \"Ministry website\"."))
    access = RadioField(_l("Access"), choices=[
        SelectChoice("read", _l("Read only")), SelectChoice("write", _l("Read and write"))],
        default="read",
        validators=[DataRequired(message=_l("Please choose one of the options."))])
    events = EventCheckboxes(_l("Events"), coerce=int, validate_choice=False,
                             description=_l("None chosen: every event you may see, now and "
                                            "later."))
    expires_on = DateField(_l("Valid until"), validators=[Optional()],
                           description=_l("Optional: the token stops working after this day "
                                          "(UTC)."))


def _allowed() -> None:
    if not api_tokens.may_use_tokens(current_user):
        abort(403)


def _form() -> TokenForm:
    form = TokenForm()
    form.events.choices = [SelectChoice(event.id, event.title)
                           for event in api_tokens.choosable_events(current_user)]
    return form


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """The user's tokens (all tokens for administrators) and the form for a new one."""
    _allowed()
    form = _form()
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_token(
                current_user, name=form.name.data, can_write=form.access.data == "write",
                event_ids=form.events.data or (), expires_on=form.expires_on.data)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            # The secret is shown in this answer only (never stored, flashed or redirected).
            return render_template("api/token_created.html", token=token, secret=secret), 201
    elif form.is_submitted():
        status = form_status(form)
    return render_template("api/tokens.html", form=form,
                           tokens=api_tokens.tokens_of(current_user)), status


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    _allowed()
    form = BaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        token = api_tokens.get_token(current_user, token_id)
        api_tokens.revoke_token(token, actor=current_user)
    except ServiceError as error:
        flash(error.message, "danger")
        if error.status_code == 404:
            abort(404)
    else:
        flash(_("The token %(name)s has been revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"), 303)
