"""Forms with which administrators create and change staff accounts."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..auth.forms import language_choices, new_password_validators, role_choices
from ..forms import BaseForm
from ..models import UserRole
from ..services.accounts.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def valid_email(form, field) -> None:
    """WTForms validator: a well-formed email address (no DNS look-up), normalized."""
    try:
        result = validate_email(field.data or "", check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(
            _l("Enter a valid email address, such as name@example.org.")
        ) from None
    field.data = result.normalized


def _name_field() -> StringField:
    return StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Enter the person's name.")),
            Length(max=200, message=_l("The name may have at most 200 characters.")),
        ],
    )


def _role_field(default: str | None = None) -> SelectField:
    return SelectField(
        _l("Role"),
        choices=role_choices,
        validate_choice=True,
        default=default,
        description=_l(
            "Administrators manage accounts and every event; "
            "organizers create events; staff work on the events "
            "whose team they are on."
        ),
    )


def _language_field() -> SelectField:
    return SelectField(_l("Interface language"), choices=language_choices, validate_choice=True)


class UserCreateForm(BaseForm):
    """A new staff account with its initial password."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Length(max=254, message=_l("The email address may have at most 254 characters.")),
            valid_email,
        ],
    )
    name = _name_field()
    role = _role_field(default=UserRole.STAFF.value)
    language = _language_field()
    password = PasswordField(
        _l("Initial password"),
        validators=new_password_validators(),
        description=_l(
            "At least %(count)d characters. Give it to the person in a safe way; "
            "they can change it on their account page.",
            count=MIN_PASSWORD_LENGTH,
        ),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class UserEditForm(BaseForm):
    """Name, role, language and state of an account; optionally a new password."""

    name = _name_field()
    role = _role_field()
    language = _language_field()
    active = BooleanField(
        _l("Active"),
        description=_l(
            "Deactivated accounts cannot log in; their sessions end at once and their API "
            "tokens are revoked for good."
        ),
    )
    password = PasswordField(
        _l("New password"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("The password must have between %(min)d and %(max)d characters."),
            ),
        ],
        description=_l(
            "Leave empty to keep the current password. A new password logs the "
            "person out everywhere."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save"))


class AuditFilterForm(BaseForm):
    """The GET filter above the audit log (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    event_id = SelectField(_l("Event"), coerce=str, validators=[Optional(strip_whitespace=False)],
                           validate_choice=True)
    action = StringField(
        _l("Action"),
        validators=[Optional(), Length(max=80, message=_l("At most %(max)d characters."))],
        description=_l('The beginning of the action, e.g. "registration."'),
    )
    user_id = SelectField(
        _l("Account"), coerce=str, validators=[Optional(strip_whitespace=False)],
        validate_choice=True,
    )
