"""Registrations and the rules around them.

What a valid registration is, registering singly and as a delegation, places and the
waiting list, extra questions, the participant list, check-in, lost-link requests.
"""
