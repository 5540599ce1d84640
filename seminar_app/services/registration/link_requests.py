""""Lost your link?" requests: answered at once, the lookup and the email left to the worker.

Rules: the request does the same work whatever address is given. It never reads the
registrations: it puts the task ``send_manage_link(event id, address)`` on the queue (after
the request's transaction ends, so an immediate queue never waits on its lock) and the page
gives the same neutral answer. The worker looks the address up and, when it is registered
for the event, emails it a new personal link
(services.registration.registrations.resend_manage_link); an
unknown address gets nothing. So neither the answer nor its timing tells whether an address
is registered.
"""

import logging

from ...database import use_case
from ...extensions import db
from ...models import Event
from ..tasks import run_task_after_commit
from . import registrations

log = logging.getLogger(__name__)

#: longest address passed to the queue (the forms allow 254 characters)
MAX_EMAIL_LENGTH = 320


@use_case
def request_manage_link(event: Event, email: str) -> None:
    """Queue sending ``email`` its personal link for ``event``; the same work for any address.

    Ends the request's (read-only) transaction, which hands the task to the queue.
    """
    address = (email or "").strip().lower()[:MAX_EMAIL_LENGTH]
    run_task_after_commit("send_manage_link", event.id, address)


def send_manage_link(event_id: int, email: str) -> bool:
    """The worker's part: email a new personal link if ``email`` is registered (silently)."""
    event = db.session.get(Event, event_id)
    if event is None or not email:
        log.info("manage link asked for event %s: nothing to send", event_id)
        return False
    return registrations.resend_manage_link(event, email)
