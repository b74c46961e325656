"""Rebate periods: which period a day falls in, and parsing a period the user names.

Keys: month ``2026-11``, quarter ``2026-Q4``, year ``2026``; a program with its own dates
(``period = "custom"``) has one period, keyed ``YYYY-MM-DD..YYYY-MM-DD`` (its validity dates).
A line counts in the period of the day its order was received (the tenant's time zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qudao.plugins.rebates.models import CUSTOM, MONTH, QUARTER, YEAR

PERIODS = (MONTH, QUARTER, YEAR, CUSTOM)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    key: str
    starts_on: date
    ends_on: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_for(kind: str, day: date, custom: tuple[date, date | None] | None = None) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == MONTH:
        return Period(f"{day.year}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month))
    if kind == QUARTER:
        q = (day.month - 1) // 3 + 1
        first = date(day.year, 3 * q - 2, 1)
        return Period(f"{day.year}-Q{q}", first, _month_end(day.year, 3 * q))
    if kind == YEAR:
        return Period(str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == CUSTOM and custom is not None:
        start, end = custom
        end = end or date(9999, 12, 31)
        return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)
    raise ValueError(f"unknown period kind {kind!r}")


def parse_period(kind: str, text: object, custom: tuple[date, date | None] | None = None) -> Period:
    """A period named by the user (``2026-Q4``); ValueError with a readable message otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(_expected(kind))
    text = text.strip()
    try:
        if kind == MONTH and (m := _MONTH.match(text)):
            return period_for(MONTH, date(int(m[1]), int(m[2]), 1))
        if kind == QUARTER and (m := _QUARTER.match(text)):
            return period_for(QUARTER, date(int(m[1]), 3 * int(m[2]) - 2, 1))
        if kind == YEAR and (m := _YEAR.match(text)):
            return period_for(YEAR, date(int(m[1]), 1, 1))
        if kind == CUSTOM and custom is not None:
            own = period_for(CUSTOM, custom[0], custom)
            if text in (own.key, "program") or ((m := _RANGE.match(text)) and
                                               (date.fromisoformat(m[1]), date.fromisoformat(m[2]))
                                               == (own.starts_on, own.ends_on)):
                return own
    except ValueError:
        pass
    raise ValueError(_expected(kind, custom))


def _expected(kind: str, custom: tuple[date, date | None] | None = None) -> str:
    if kind == MONTH:
        return "must be a month like 2026-11"
    if kind == QUARTER:
        return "must be a quarter like 2026-Q4"
    if kind == YEAR:
        return "must be a year like 2026"
    if custom is not None:
        return f"must be the program's own period {period_for(CUSTOM, custom[0], custom).key}"
    return "does not name a period"
