"""Invitations and their answers.

Invitees and their import, personal invitation links and answers (RSVP), where each
invitee stands, mailings, their audiences and their wording.
"""
