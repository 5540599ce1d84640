"""outbox blueprint: the staff pages about emails, under /manage/emails."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)

from . import views  # noqa: E402,F401
