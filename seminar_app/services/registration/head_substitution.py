"""The head of a delegation replaces one of its members from their own personal link.

Rules:
- Only the head of the member's delegation, through the head's working personal link
  (services.policies.manages_delegation): anyone else's member, or an unknown one, is "not
  found"; a member's link manages nothing (the views answer 403 as for the head's other
  actions).
- The head does not replace themselves here: the head's own registration is not one of the
  members they manage. A head who cannot attend asks to be replaced through their own link
  ("Ask to be replaced by a colleague"); once an organizer approves, the new person takes the
  head's registration, and with it the headship of the delegation (the delegation points to
  that registration).
- The replacement is a substitution like any other (services.registration.substitution):
  the place is kept, nobody moves up from the waiting list, the old member's link and badge
  stop working, the new person gets a new reference, badge code and personal link by email in
  their language, the old member is told. The audit entry ``registration.substituted`` has
  ``source`` "head" and ``by`` naming the head ("Name <address>", so that erasing the head's
  data also scrubs it from that entry).
"""

from flask_babel import gettext as _

from ...database import use_case
from ...extensions import db
from ...models import Registration
from ..errors import NotFound, PermissionDenied
from ..policies import manages_delegation
from .registration_labels import display_name
from .substitution import SubstitutionSource, substitute


def head_label(head: Registration) -> str:
    """How the audit names the head who replaced a member."""
    return f"{display_name(head)} <{head.email}>"


def managed_member(head: Registration, member_id: int) -> Registration:
    """Member ``member_id`` of the delegation ``head``'s link manages: PermissionDenied for a
    link that heads no delegation, NotFound for anyone who is not one of its other members."""
    if not manages_delegation(head):
        raise PermissionDenied(_("Only the head of the delegation can do this."))
    member = db.session.get(Registration, member_id)
    if member is None or not manages_delegation(head, member):
        raise NotFound(_("This person is not a member of your delegation."))
    return member


@use_case
def replace_member(head: Registration, member_id: int,
                   new_person_data: dict) -> tuple[Registration, str]:
    """The head hands member ``member_id``'s registration (and place) to the person described
    by ``new_person_data`` (checked as any substitution). Returns the registration and the new
    person's personal-link token (already emailed to them)."""
    db.session.refresh(head)
    member = managed_member(head, member_id)
    return substitute(member, new_person_data, actor=None, source=SubstitutionSource.HEAD,
                      by=head_label(head))
