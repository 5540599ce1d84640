"""Benchmarks of seminar_app, run by a person with ``make bench`` (never by the test suite).

Each benchmark starts the real app under gunicorn on a fresh database and writes its numbers
to bench/RESULTS.md (one section per benchmark and database, overwritten on each run).
"""
