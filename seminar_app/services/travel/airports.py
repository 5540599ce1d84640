"""IATA airport codes, checked against the ``airportsdata`` package (no network).

Rules: a flight's airport is a three-letter IATA code of an airport the package knows; codes
are kept upper-case. The table is loaded once per process.
"""

import re
from functools import lru_cache

import airportsdata

_CODE = re.compile(r"[A-Z]{3}")


@lru_cache(maxsize=1)
def _airports() -> dict:
    return airportsdata.load("IATA")


def normalize_code(text: str) -> str:
    """``text`` as an IATA code would be written: trimmed, upper-case."""
    return (text or "").strip().upper()


def is_airport_code(code: str) -> bool:
    """True when ``code`` is the IATA code of a known airport."""
    return bool(_CODE.fullmatch(code or "")) and code in _airports()


@lru_cache(maxsize=4096)
def airport_label(code: str) -> str:
    """"CGK · Soekarno-Hatta International Airport, Jakarta" for a known code, else the code."""
    airport = _airports().get(code or "")
    if airport is None:
        return code or ""
    city = f", {airport['city']}" if airport.get("city") else ""
    return f"{code} · {airport['name']}{city}"
