"""``flask demo load``: the demo forum and seminar."""

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")
