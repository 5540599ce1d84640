"""Mail transport, and nothing else.

Composing an email into the outbox, the outbox's delivery states, staff's view of it,
and sending rows over SMTP. Which email goes to whom is decided in services.notifications.
"""
