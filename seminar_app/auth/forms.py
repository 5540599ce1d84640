"""Forms of the staff login (password, second factor, reset) and of a user's own account page."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..forms import BaseForm
from ..i18n import LANGUAGE_NAMES
from ..models import UserRole
from ..services.accounts.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

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
    """(code, name) of the interface languages, each name in its own language, and "" for the
    device's own language (the browser's; the check-in desk on a phone follows it)."""
    return [("", _l("The device's language")), *LANGUAGE_NAMES.items()]


#: the help text under every field where a new password is chosen
NEW_PASSWORD_HELP = _l(
    "At least %(count)d characters, not a common password, not your email or name. "
    "A phrase of several unrelated words is easy to remember.",
    count=MIN_PASSWORD_LENGTH,
)


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


def _confirm_password_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(message=_l("Repeat the new password.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


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
        description=NEW_PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = _confirm_password_field()
    submit_password = SubmitField(_l("Change password"))


def _code_field(label, description) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(message=_l("Enter the code.")),
            Length(max=40, message=_l("The code is too long.")),
        ],
        description=description,
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "none",
                   "spellcheck": "false"},
    )


class LoginCodeForm(BaseForm):
    """The second step of a login: a code from the app, or a recovery code."""

    code = _code_field(
        _l("Code"),
        _l("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )
    submit = SubmitField(_l("Log in"))


class TwoFactorEnrolForm(BaseForm):
    """The first code made by the app with the new secret, which switches two-factor on."""

    code = _code_field(
        _l("Code from the app"), _l("The 6-digit code your app shows for this account.")
    )
    submit = SubmitField(_l("Switch on two-factor sign-in"))


class TwoFactorConfirmationForm(BaseForm):
    """The current password or a code, before switching off or making new recovery codes."""

    confirmation = PasswordField(
        _l("Your password or a code from your app"),
        validators=[
            InputRequired(message=_l("Enter your current password or a current code.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Confirm"))


class PasswordForgotForm(BaseForm):
    """The email address of the account that needs a new password."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("The email address is too long.")),
        ],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    submit = SubmitField(_l("Send me a link"))


class PasswordResetForm(BaseForm):
    """A new password, twice, chosen through a reset link."""

    new_password = PasswordField(
        _l("New password"),
        validators=new_password_validators(),
        description=NEW_PASSWORD_HELP,
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm_password = _confirm_password_field()
    submit = SubmitField(_l("Save the new password"))
