"""Command-line tools: ``flask --app seminar_app <command>``.

``users`` manages staff accounts, ``demo`` loads the demo forum and seminar, ``worker`` runs
the background queue and ``serve`` runs waitress together with a worker (``make run``).
"""

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach the command groups of each part of the app."""
    from .auth.cli import users_cli
    from .data_cli import data_cli
    from .demo import demo_cli
    from .worker import serve_command, worker_command

    for command in (users_cli, data_cli, demo_cli, worker_command, serve_command):
        app.cli.add_command(command)
