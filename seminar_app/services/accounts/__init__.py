"""Staff accounts.

Users and their roles, passwords and their reset, two-factor sign-in, API tokens.
"""
