"""What a typeahead request asks for: `?prefix=<typed>&limit=<n>`, read by the route's rules.

SpiffArena's backend always sends both; other callers may not. A missing `prefix` is the empty
prefix (the first records of the list). `limit` defaults to `DEFAULT_LIMIT`, is capped at
`MAX_LIMIT`, and anything but a positive whole number is a 400 that says so. A parameter given
twice counts with its last value, as a front door that keeps one value would pass it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import BadRequest
from ..messages import Request

DEFAULT_LIMIT = 100
# At most this many records per answer: about 100 KB of cities, well inside every front door's limit.
MAX_LIMIT = 1000
# Digits beyond which a limit is certainly over the cap (and int() is not asked to read a novel).
_MAX_DIGITS = len(str(MAX_LIMIT)) + 1


class Query(NamedTuple):
    category: str
    prefix: str
    limit: int


def read_query(request: Request, category: str) -> Query:
    return Query(category, _last(request, "prefix") or "", _limit(_last(request, "limit")))


def _last(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[-1] if values else None


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:
        shown = repr(raw) if len(raw) <= 20 and raw.isprintable() else "the one given"
        raise BadRequest(
            f"limit must be a whole number from 1 to {MAX_LIMIT} (larger ones are capped); {shown} is not.",
            error_code="invalid_limit",
        )
    return MAX_LIMIT if len(digits) > _MAX_DIGITS else min(int(digits), MAX_LIMIT)
