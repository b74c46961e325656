"""The tenant's today and now, in one place (tests move the clock by patching ``now``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def zone(ctx: Any) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(ctx.tenant, "timezone", None) or "Asia/Shanghai")
    except Exception:  # noqa: BLE001 - an unknown zone name must not break an order
        return ZoneInfo("Asia/Shanghai")


def today(ctx: Any) -> date:
    return now().astimezone(zone(ctx)).date()
