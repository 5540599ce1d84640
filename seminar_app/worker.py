"""``flask worker`` and ``flask serve``."""

import click


@click.command("worker")
def worker_command():
    """Run the background worker."""


@click.command("serve")
def serve_command():
    """Serve the app."""
