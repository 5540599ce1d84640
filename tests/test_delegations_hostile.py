"""Hostile input to the delegation forms never gives a 500 and never registers half."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from seminar_app.extensions import db, limiter
from seminar_app.models import Delegation, Registration
from tests.conftest import post_form
from tests.factories import form_fields, registration_event

FIELDS = ("honorific", "honorific_other", "given_name", "family_name", "email",
          "delegation_role", "position", "language")
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
keys = st.one_of(
    st.builds(lambda i, f: f"members-{i}-{f}", st.integers(-3, 10**12), st.sampled_from(FIELDS)),
    st.text(alphabet=string.ascii_letters + "-_0123456789", max_size=30))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(extra=st.dictionaries(keys, text, max_size=30), rows=st.text(max_size=20))
def test_hostile_member_rows_never_500(app, make_user, extra, rows):
    limiter.enabled = False
    try:
        client = app.test_client()
        event = registration_event(make_user("organizer"))
        data = {**form_fields(phone=""), **extra}
        response = post_form(client, f"/events/{event.slug}/register/delegation?rows={rows}",
                             data)
        assert response.status_code < 500
        db.session.rollback()
        delegations = db.session.scalar(select(func.count(Delegation.id)))
        members = db.session.scalar(select(func.count(Registration.id))
                                    .where(Registration.delegation_id.is_not(None)))
        if response.status_code == 303:
            assert delegations == 1 and 2 <= members <= 21
        else:
            assert delegations == 0 and members == 0
    finally:
        limiter.enabled = True
        db.session.rollback()
        _empty_tables()  # hypothesis runs every example inside one test


def _empty_tables():
    from tests.conftest import _empty_tables as empty

    db.session.remove()
    empty()
