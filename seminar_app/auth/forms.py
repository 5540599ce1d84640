"""Forms of the staff login and of a user's own account page."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..forms import BaseForm
from ..i18n import LANGUAGE_NAMES
from ..models import UserRole
from ..services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

#: how each role is called in the interface
ROLE_LABELS = {
    UserRole.ADMIN: _l("Administrator"),
    UserRole.ORGANIZER: _l("Organizer"),
    UserRole.STAFF: _l("Staff"),
}


def role_label(role: UserRole | str) -> str:
    """The translated name of ``role``."""
    return str(ROLE_LABELS.get(UserRole(role), role))


def role_choices() -> list[tuple[str, str]]:
    """(value, label) of every role, for select fields."""
    return [(role.value, str(label)) for role, label in ROLE_LABELS.items()]


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of the interface languages, each name in its own language."""
    return list(LANGUAGE_NAMES.items())


def new_password_validators() -> list:
    """Validators of a new password field: required, within the length bounds."""
    return [
        InputRequired(message=_l("Enter a password.")),
        Length(
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
            message=_l("The password must have between %(min)d and %(max)d characters."),
        ),
    ]


class LoginForm(BaseForm):
    """Email and password of a staff account."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("The email address is too long.")),
        ],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField(validators=[Length(max=2000, message=_l("The address is too long."))])
    submit = SubmitField(_l("Log in"))


class AccountProfileForm(BaseForm):
    """The user's own display name and interface language."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=200, message=_l("The name may have at most 200 characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    language = SelectField(
        _l("Interface language"),
        choices=language_choices,
        validate_choice=True,
    )
    submit_profile = SubmitField(_l("Save"))


class PasswordChangeForm(BaseForm):
    """The user's own password: the current one, and the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(message=_l("Enter your current password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=new_password_validators(),
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(message=_l("Repeat the new password.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit_password = SubmitField(_l("Change password"))
