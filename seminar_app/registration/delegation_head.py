"""What the head of a delegation sees on their personal page: every member (as
services.policies.delegation_member_view shows them to the head) and the forms to add a
member, remove one or resend a member's link. A member's page gets none of it."""

from dataclasses import dataclass

from flask_babel import gettext as _

from ..models import Delegation, Registration, RegistrationStatus, utcnow
from ..services.policies import (
    DelegationMemberView,
    delegation_member_view,
    manages_delegation,
    member_addition_refusal,
)
from ..services.registration.delegations import MAX_MEMBERS, delegation_members
from ..services.registration.substitution import can_substitute
from .delegation_forms import MemberAddForm, build_member_add_form

#: members the head may still remove or send a new link to
_TAKING_PART = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING,
                RegistrationStatus.WAITLISTED)


@dataclass(frozen=True)
class HeadPage:
    """The delegation part of the head's personal page."""

    delegation: Delegation
    members: list[DelegationMemberView]
    #: the head may remove members and resend their links (until the event ends)
    can_manage: bool
    #: the form to add a member, or None when no member can be added now
    add_form: MemberAddForm | None
    #: why no member can be added now (a translated sentence), or ""
    add_refusal: str
    max_members: int
    #: ids of the members the head may replace by another person now
    replaceable: frozenset[int] = frozenset()

    def can_act_on(self, member: DelegationMemberView) -> bool:
        """True when the head may remove ``member`` or resend their link."""
        return self.can_manage and not member.is_head and member.status in _TAKING_PART

    def can_replace(self, member: DelegationMemberView) -> bool:
        """True when the head may hand ``member``'s place to another person now
        (registration.head_substitution_views; never the head themselves)."""
        return self.can_act_on(member) and member.id in self.replaceable


def head_page(registration: Registration, *,
              member_form: MemberAddForm | None = None) -> HeadPage | None:
    """The delegation part of ``registration``'s personal page; None unless it heads one."""
    if not manages_delegation(registration):
        return None
    event = registration.event
    delegation = registration.delegation
    registrations = delegation_members(delegation)
    members = [delegation_member_view(member) for member in registrations]
    replaceable = frozenset(member.id for member in registrations if can_substitute(member))
    can_manage = utcnow() < event.end_at
    taking_part = sum(1 for member in members
                      if not member.is_head and member.status in _TAKING_PART)
    refusal = member_addition_refusal(event)
    add_refusal = refusal.message if refusal is not None else ""
    if can_manage and not add_refusal and taking_part >= MAX_MEMBERS:
        add_refusal = _("Your delegation has %(number)d members besides you, the most a "
                        "delegation can have.", number=MAX_MEMBERS)
    add_form = None
    if can_manage and not add_refusal:
        add_form = member_form or build_member_add_form(event)
    return HeadPage(delegation=delegation, members=members, can_manage=can_manage,
                    add_form=add_form, add_refusal=add_refusal, max_members=MAX_MEMBERS,
                    replaceable=replaceable)
