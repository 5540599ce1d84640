"""Public registration: the form at /events/<slug>/register and the personal link /r/<token>."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from . import (  # noqa: E402,F401
    delegation_views,
    erasure_views,
    head_substitution_views,
    photo_views,
    promotion_views,
    substitution_views,
    travel_views,
    views,
)
