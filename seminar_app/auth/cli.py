"""``flask users ...``: staff accounts from the command line."""

import click
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Manage staff accounts.")
