"""Documents rendered from the data.

Badges, visa letters, the post-event report, charts, calendar files, CSV/XLSX exports,
the dashboard figures, and the fonts and shaping that print names in every script.
"""
