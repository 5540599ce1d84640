"""Pages that every anonymous visitor gets alike, kept rendered for a few seconds.

During a registration rush hundreds of delegates a second open the same registration form:
the same event, the same fields, in one of two languages. Rendering it (the country list,
every field's markup) costs more than the whole registration that follows, so each worker
process keeps the rendered page for ``FORM_PAGE_CACHE_SECONDS`` and answers with a copy.

The one thing that differs per visitor is the CSRF token (bound to their session). The page
is stored with the token replaced by a marker, and each answer puts the visitor's own token
back. Only plain anonymous GETs are served from the cache: no query string, no message
waiting to be shown, no logged-in user (staff see previews and links of their own). The key
holds the event's ``updated_at`` as read from the database in this request (bumped by every
change of the event or of its questions), so a change shows at once in every process; whether
registration is open is checked on every request before the cache is read.
"""

import threading
import time

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .i18n import current_language

#: stands for the visitor's CSRF token in a stored page (cannot occur in a real token)
_MARKER = "\x00csrf\x00"
#: at most this many pages per process (events × languages); the oldest go first
MAX_PAGES = 256


class AnonymousPageCache:
    """Rendered pages per (key, path, language), each living ``FORM_PAGE_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._pages: dict[tuple, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _lifetime() -> float:
        return float(current_app.config.get("FORM_PAGE_CACHE_SECONDS", 0) or 0)

    def usable(self) -> bool:
        """True when this request may be answered from (and stored into) the cache."""
        return (self._lifetime() > 0 and request.method == "GET" and not request.args
                and not session.get("_flashes") and not current_user.is_authenticated)

    def _full_key(self, key: tuple) -> tuple:
        return (*key, request.path, current_language())

    def get(self, key: tuple) -> str | None:
        """The stored page for ``key`` with this visitor's CSRF token in it, or None."""
        entry = self._pages.get(self._full_key(key))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1].replace(_MARKER, generate_csrf())

    def put(self, key: tuple, html: str) -> str:
        """Store ``html`` (rendered for this visitor) under ``key``; returns it unchanged."""
        token = generate_csrf()
        stored = html.replace(token, _MARKER)
        with self._lock:
            if len(self._pages) >= MAX_PAGES:
                now = time.monotonic()
                for old in [k for k, (expires, _page) in self._pages.items() if expires < now]:
                    del self._pages[old]
                while len(self._pages) >= MAX_PAGES:
                    del self._pages[next(iter(self._pages))]
            self._pages[self._full_key(key)] = (time.monotonic() + self._lifetime(), stored)
        return html

    def clear(self) -> None:
        """Forget every stored page (tests)."""
        with self._lock:
            self._pages.clear()


def form_pages() -> AnonymousPageCache:
    """This app's cache of registration-form pages (one per app, so tests never share)."""
    return current_app.extensions.setdefault("form_page_cache", AnonymousPageCache())
