"""Public registration: the form at /events/<slug>/register and the personal link /r/<token>."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from . import delegation_views, erasure_views, views  # noqa: E402,F401
