"""Events and what organizers set on them.

Details and their limits, the agenda, co-hosts, texts in several languages, the public
listing, uploaded images and the visa-letter letterhead.
"""
