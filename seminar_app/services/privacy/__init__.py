"""Personal data over time.

Retention and erasure after the event, and re-encrypting under a new key.
"""
