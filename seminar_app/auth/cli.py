"""``flask users ...``: staff accounts from the command line.

Passwords follow the same rules as on the web (services.accounts.password_rules). They are asked
twice without echo, or read from the first line of standard input with
``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | flask users create ...``). They are
never printed or logged.
"""

import sys

import click
from flask.cli import AppGroup

from ..models import UserRole
from ..services.accounts.two_factor import reset_two_factor
from ..services.accounts.users import (
    MIN_PASSWORD_LENGTH,
    create_user,
    find_user_by_email,
    list_users,
    set_password,
    set_user_role,
)
from ..services.errors import ServiceError

users_cli = AppGroup("users", help="Manage staff accounts.")

ROLE_NAMES = ", ".join(role.value for role in UserRole)


def _role(value: str) -> UserRole:
    try:
        return UserRole(value.strip().lower())
    except ValueError:
        raise click.ClickException(
            f"Unknown role {value!r}; choose one of: {ROLE_NAMES}."
        ) from None


def _user(email: str):
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email!r}.")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("No password on standard input.")
        return password
    return click.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt="Repeat the password",
    )


def _run(action, *args, **kwargs):
    """Call a service function, turning its refusal into a clear error with exit code 1."""
    try:
        return action(*args, **kwargs)
    except ServiceError as error:
        raise click.ClickException(error.message) from None


password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "role_name", default="staff", show_default=True, help=ROLE_NAMES)
@click.option("--name", default="", help="Name shown in the interface (default: the email).")
@click.option("--language", type=click.Choice(["en", "id"]), default="en", show_default=True)
@password_stdin_option
def create_command(email, role_name, name, language, password_stdin):
    """Create a staff account with the email EMAIL."""
    role = _role(role_name)
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"An account with the email {email!r} already exists.")
    password = _read_password(password_stdin)
    user = _run(
        create_user, email=email, name=name, password=password, role=role, language=language
    )
    click.echo(f"Created {user.role.value} account {user.email} (id {user.id}).")


@users_cli.command("list")
def list_command():
    """List every account with its role and state."""
    users = list_users()
    if not users:
        click.echo("No accounts yet. Create one with: flask users create EMAIL --role admin")
        return
    for user in users:
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.id:>5}  {user.email:<40} {user.role.value:<10} {state:<12} {user.name}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role_name", metavar="ROLE")
def set_role_command(email, role_name):
    """Give the account EMAIL the role ROLE (admin, organizer or staff)."""
    role = _role(role_name)
    user = _run(set_user_role, _user(email), role=role)
    click.echo(f"{user.email} is now {user.role.value}.")


@users_cli.command("set-password")
@click.argument("email")
@password_stdin_option
def set_password_command(email, password_stdin):
    """Set a new password for the account EMAIL; its sessions end."""
    user = _user(email)
    password = _read_password(password_stdin)
    _run(set_password, user, password=password)
    click.echo(f"Password of {user.email} changed; its sessions were logged out.")


@users_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor_command(email):
    """Switch off two-factor sign-in of the account EMAIL (lost phone); its sessions end."""
    user = _run(reset_two_factor, _user(email), actor=None)
    click.echo(f"Two-factor sign-in of {user.email} was reset; they log in with their password "
               "and can set it up again.")
