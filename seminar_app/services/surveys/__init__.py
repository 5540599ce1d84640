"""Feedback surveys after an event: writing one (``surveys``), the personal link that answers
it (``links``), answering once (``answering``) and the results (``results``)."""
