"""Calendar periods of a target: a month (``2026-03``), a quarter (``2026-Q1``) or a year (``2026``).

A period is stored as its kind and first day; its bounds are local days in the tenant's time
zone, turned into UTC instants only when orders are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from qudao.core.errors import InputError

KINDS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date

    @property
    def end(self) -> date:
        """The first day after the period."""
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return _add_months(self.start, months)

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def next(self) -> Period:
        return Period(self.kind, self.end)

    def utc_bounds(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz or "Asia/Shanghai")
        return (datetime.combine(self.start, time(0), tzinfo=zone).astimezone(UTC),
                datetime.combine(self.end, time(0), tzinfo=zone).astimezone(UTC))

    def share_elapsed(self, today: date) -> float:
        """How much of the period has passed (0..1), for the "on track" mark."""
        total = (self.end - self.start).days
        done = min(max((today - self.start).days + 1, 0), total)
        return done / total


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(value: object, field: str = "period") -> Period:
    """``2026-03`` / ``2026-Q1`` / ``2026`` → Period; anything else is an InputError."""
    text = str(value or "").strip()
    year = None
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            period = Period("month", date(year, month, 1))
        else:
            year = None
    elif m := _QUARTER.match(text):
        year = int(m.group(1))
        period = Period("quarter", date(year, (int(m.group(2)) - 1) * 3 + 1, 1))
    elif m := _YEAR.match(text):
        year = int(m.group(1))
        period = Period("year", date(year, 1, 1))
    if year is None or not 2000 <= year <= 2100:
        raise InputError("must be a month (2026-03), a quarter (2026-Q1) or a year (2026)", field=field)
    return period


def current(kind: str, today: date) -> Period:
    if kind == "year":
        return Period(kind, date(today.year, 1, 1))
    if kind == "quarter":
        return Period(kind, date(today.year, (today.month - 1) // 3 * 3 + 1, 1))
    return Period("month", date(today.year, today.month, 1))


def local_today(tz: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(tz or "Asia/Shanghai")).date()
