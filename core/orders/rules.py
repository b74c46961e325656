"""Core order rules (tenant settings): minimum amount and quantity, daily order window."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from qudao.core.errors import InputError
from qudao.core.money import parse_money
from qudao.core.orders.cart import Cart, Violation
from qudao.tenants.models import Tenant

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_ordering(data: dict[str, Any], currency: str, current: dict[str, Any]) -> dict[str, Any]:
    """Validate ``PUT /settings/ordering``; omitted keys keep their value, null clears."""
    errors: list[dict[str, str]] = []
    out = dict(current)
    known = {"min_order_amount", "min_order_qty", "order_window"}
    for key in data:
        if key not in known:
            errors.append({"field": key, "message": "unknown setting"})
    if "min_order_amount" in data:
        value = data["min_order_amount"]
        if value is None:
            out["min_order_amount"] = None
        else:
            try:
                out["min_order_amount"] = str(parse_money(value, currency))
            except ValueError as exc:
                errors.append({"field": "min_order_amount", "message": str(exc)})
    if "min_order_qty" in data:
        value = data["min_order_qty"]
        if value is None:
            out["min_order_qty"] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 1_000_000:
            errors.append({"field": "min_order_qty", "message": "must be a whole number from 0 to 1000000"})
        else:
            out["min_order_qty"] = value
    if "order_window" in data:
        window = data["order_window"]
        if window is None:
            out["order_window"] = None
        elif not isinstance(window, dict):
            errors.append({"field": "order_window", "message": "must be {start: \"HH:MM\", end: \"HH:MM\"} or null"})
        else:
            for part in ("start", "end"):
                if not isinstance(window.get(part), str) or not HHMM.match(window[part]):
                    errors.append({"field": f"order_window.{part}", "message": "must be a time as HH:MM (00:00-23:59)"})
            if not errors and window["start"] == window["end"]:
                errors.append({"field": "order_window", "message": "start and end must differ"})
            if not any(e["field"].startswith("order_window") for e in errors):
                out["order_window"] = {"start": window["start"], "end": window["end"]}
    if errors:
        raise InputError(errors)
    return out


def ordering_view(settings: dict[str, Any]) -> dict[str, Any]:
    return {"min_order_amount": settings.get("min_order_amount"), "min_order_qty": settings.get("min_order_qty"),
            "order_window": settings.get("order_window")}


def in_window(now_local: time, start: time, end: time) -> bool:
    """A window may cross midnight (22:00-02:00)."""
    if start < end:
        return start <= now_local < end
    return now_local >= start or now_local < end


def check_rules(tenant: Tenant, cart: Cart, now: datetime) -> list[Violation]:
    rules = tenant.setting("ordering", default={}) or {}
    out: list[Violation] = []
    min_amount = rules.get("min_order_amount")
    if min_amount is not None and cart.subtotal < Decimal(min_amount):
        short = Decimal(min_amount) - cart.subtotal
        out.append(Violation("min_order_amount",
                             f"The minimum order is {min_amount} {tenant.currency}; add {short} more."))
    min_qty = rules.get("min_order_qty")
    if min_qty and cart.qty < int(min_qty):
        out.append(Violation("min_order_qty", f"The minimum order is {min_qty} items; add {int(min_qty) - cart.qty} more."))
    window = rules.get("order_window")
    if window:
        local = now.astimezone(ZoneInfo(tenant.timezone)).time()
        start = time.fromisoformat(window["start"])
        end = time.fromisoformat(window["end"])
        if not in_window(local, start, end):
            out.append(Violation("outside_order_window",
                                 f"Orders are taken between {window['start']} and {window['end']} ({tenant.timezone})."))
    return out
