"""Partition values a backfill runs over, shared by the declarations and the jobs that filter by them.

A month is written ``YYYY-MM`` (``2013-03``), the form ``baton backfill --from/--to`` takes and the
child executions carry in ``initialData.month``.
"""

from __future__ import annotations

import re

from baton.errors import ArgumentError

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: object, what: str = "month") -> tuple[int, int]:
    """``"2013-03"`` -> ``(2013, 3)``; anything else is an ArgumentError naming ``what``."""
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ArgumentError(f"{what} must be a month written YYYY-MM, e.g. 2013-03; got {value!r}",
                            **({"argument": what} if what.startswith("--") else {"input": what}))
    return int(match.group(1)), int(match.group(2))


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included: ``2013-11``..``2014-01`` is three months."""
    year, month = parse_month(first, "--from")
    end = parse_month(last, "--to")
    if end < (year, month):
        raise ArgumentError(f"--to {last} is before --from {first}", argument="--to")
    found = []
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
