"""Sell-through (流向): the brand's view of what its distributors sold to their stores.

Not a second copy of the data: a flow is a line of a reseller-sold order that has shipped
(``shipped``, ``delivered`` or ``received``), dated by its shipment, read here for reports.
Flags: a distributor selling out of its region (串货: the store's region is not under the
distributor's), holding stock that does not move (no flow of a SKU it has on hand for
``SLOW_DAYS``), and the refused below-floor price attempts. Days of stock = units on hand ÷
units sold per day over the last ``RECENT_DAYS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from qudao.core.catalog.models import Product
from qudao.core.channels.models import FloorAttempt
from qudao.core.customers.models import Customer
from qudao.core.errors import InputError
from qudao.core.inventory.models import Stock, Warehouse
from qudao.core.money import fmt, quantize
from qudao.core.orders.models import Order, OrderEvent, OrderLine
from qudao.core.plugins.context import TenantContext
from qudao.core.pricing.engine import region_matches

GROUPS = ("product", "region", "distributor", "store", "day", "month")
SOLD = ("shipped", "delivered", "received")
RECENT_DAYS = 30
SLOW_DAYS = 30
MAX_SPAN = 366


@dataclass(frozen=True)
class Flow:
    sku: str
    name: str
    distributor: str
    distributor_name: str
    store: str
    store_name: str
    region: str
    qty: int
    amount: Decimal
    day: date
    out_of_region: bool


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    group_by: tuple[str, ...]


def parse_query(tz: str, start: str | None, end: str | None, group_by: str | None) -> Query:
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    errors = []

    def day(value: str | None, name: str, default: date) -> date:
        if not value:
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors.append({"field": name, "message": "must be a date as YYYY-MM-DD"})
            return default

    to = day(end, "to", today)
    frm = day(start, "from", to - timedelta(days=RECENT_DAYS - 1))
    groups = tuple(g.strip() for g in (group_by or "product,distributor").split(",") if g.strip())
    bad = [g for g in groups if g not in GROUPS]
    if bad or not groups:
        errors.append({"field": "group_by", "message": f"must be a comma list of {', '.join(GROUPS)}"})
    if frm > to:
        errors.append({"field": "from", "message": "must not be after 'to'"})
    elif (to - frm).days >= MAX_SPAN:
        errors.append({"field": "from", "message": f"the period may span at most {MAX_SPAN} days"})
    if errors:
        raise InputError(errors)
    return Query(frm, to, tuple(dict.fromkeys(groups)))


def _utc(d: date, tz: str) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def flows(ctx: TenantContext, start: date, end: date, *, seller_id: int | None = None) -> list[Flow]:
    """Every unit a distributor shipped to a store between two days (tenant time zone), one query."""
    tz = ctx.tenant.timezone
    shipped = (select(OrderEvent.order_id, func.min(OrderEvent.at).label("at"))
               .where(OrderEvent.status == "shipped").group_by(OrderEvent.order_id).subquery())
    store, dist = aliased(Customer), aliased(Customer)
    stmt = (select(OrderLine.sku, OrderLine.name, OrderLine.qty, OrderLine.line_total, shipped.c.at,
                   dist.code, dist.name, dist.region, store.code, store.name, store.region)
            .join(Order, (Order.id == OrderLine.order_id) & (Order.tenant_id == OrderLine.tenant_id))
            .join(shipped, shipped.c.order_id == Order.id)
            .join(store, (store.id == Order.customer_id) & (store.tenant_id == Order.tenant_id))
            .join(dist, (dist.id == Order.seller_customer_id) & (dist.tenant_id == Order.tenant_id))
            .where(Order.seller_customer_id.is_not(None), Order.status.in_(SOLD),
                   shipped.c.at >= _utc(start, tz), shipped.c.at < _utc(end + timedelta(days=1), tz)))
    if seller_id is not None:
        stmt = stmt.where(Order.seller_customer_id == seller_id)
    zone = ZoneInfo(tz)
    out = []
    for sku, name, qty, total, at, dcode, dname, dregion, scode, sname, sregion in (await ctx.session.execute(stmt)).all():
        out.append(Flow(sku, name, dcode, dname, scode, sname, sregion or "", int(qty), total,
                        at.astimezone(zone).date(), bool(dregion) and not region_matches(dregion, sregion)))
    return out


def _key(f: Flow, groups: Iterable[str]) -> tuple[Any, ...]:
    parts: list[Any] = []
    for g in groups:
        parts.append({"product": (f.sku, f.name), "region": f.region, "distributor": (f.distributor, f.distributor_name),
                      "store": (f.store, f.store_name), "day": f.day.isoformat(),
                      "month": f.day.strftime("%Y-%m")}[g])
    return tuple(parts)


def aggregate(items: list[Flow], groups: tuple[str, ...], currency: str) -> list[dict[str, Any]]:
    buckets: dict[tuple[Any, ...], list[Any]] = {}
    for f in items:
        b = buckets.setdefault(_key(f, groups), [0, Decimal("0"), 0])
        b[0] += f.qty
        b[1] += f.amount
        b[2] += f.qty if f.out_of_region else 0
    rows = []
    for key, (qty, amount, oor) in buckets.items():
        row: dict[str, Any] = {}
        for g, value in zip(groups, key, strict=True):
            if g == "product":
                row["sku"], row["name"] = value
            elif g == "distributor":
                row["distributor"], row["distributor_name"] = value
            elif g == "store":
                row["store"], row["store_name"] = value
            else:
                row[g] = value
        row.update(qty=qty, amount=fmt(quantize(amount, currency), currency), out_of_region_qty=oor)
        rows.append(row)
    rows.sort(key=lambda r: (-r["qty"], [str(r.get(k, "")) for k in ("day", "month", "sku", "distributor", "store")]))
    return rows


async def distributor_health(ctx: TenantContext, q: Query, items: list[Flow]) -> list[dict[str, Any]]:
    """Per distributor: stock, recent sell-through, days of stock and the flags."""
    tz = ctx.tenant.timezone
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    recent = await flows(ctx, today - timedelta(days=max(RECENT_DAYS, SLOW_DAYS) - 1), today)
    resellers = (await ctx.session.scalars(select(Customer).where(Customer.can_resell.is_(True))
                                           .order_by(Customer.code))).all()
    stock_rows = (await ctx.session.execute(
        select(Warehouse.owner_customer_id, Product.sku, func.sum(Stock.on_hand))
        .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
        .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
        .where(Warehouse.owner_customer_id.is_not(None))
        .group_by(Warehouse.owner_customer_id, Product.sku))).all()
    attempts = dict((await ctx.session.execute(
        select(FloorAttempt.seller_id, func.count(FloorAttempt.id))
        .where(FloorAttempt.at >= _utc(q.start, tz), FloorAttempt.at < _utc(q.end + timedelta(days=1), tz))
        .group_by(FloorAttempt.seller_id))).all())
    out = []
    slow_since = today - timedelta(days=SLOW_DAYS - 1)
    recent_since = today - timedelta(days=RECENT_DAYS - 1)
    for r in resellers:
        on_hand = {sku: int(n or 0) for owner, sku, n in stock_rows if owner == r.id and (n or 0) > 0}
        mine = [f for f in recent if f.distributor == r.code]
        sold_recent = sum(f.qty for f in mine if f.day >= recent_since)
        moved = {f.sku for f in mine if f.day >= slow_since}
        units = sum(on_hand.values())
        days = round(units / (sold_recent / RECENT_DAYS), 1) if sold_recent else None
        period = [f for f in items if f.distributor == r.code]
        out.append({"distributor": r.code, "name": r.name, "region": r.region, "stock_units": units,
                    "sold_recent": sold_recent, "days_of_stock": days,
                    "sold_in_period": sum(f.qty for f in period),
                    "out_of_region_qty": sum(f.qty for f in period if f.out_of_region),
                    "floor_attempts": int(attempts.get(r.id, 0)),
                    "slow_moving": sorted(sku for sku in on_hand if sku not in moved)})
    return out


async def report(ctx: TenantContext, q: Query) -> dict[str, Any]:
    items = await flows(ctx, q.start, q.end)
    cur = ctx.tenant.currency
    total = quantize(sum((f.amount for f in items), Decimal("0")), cur)
    return {"from": q.start.isoformat(), "to": q.end.isoformat(), "group_by": list(q.group_by),
            "rows": aggregate(items, q.group_by, cur),
            "total": {"qty": sum(f.qty for f in items), "amount": fmt(total, cur),
                      "out_of_region_qty": sum(f.qty for f in items if f.out_of_region)},
            "distributors": await distributor_health(ctx, q, items)}


def export_columns(groups: tuple[str, ...]) -> list[str]:
    cols: list[str] = []
    for g in groups:
        cols.extend({"product": ["sku", "name"], "distributor": ["distributor", "distributor_name"],
                     "store": ["store", "store_name"]}.get(g, [g]))
    return [*cols, "qty", "amount", "out_of_region_qty"]


def export_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    cols = export_columns(tuple(data["group_by"]))
    return cols, [[row.get(c) for c in cols] for row in data["rows"]]


DIST_COLUMNS = ["distributor", "name", "region", "stock_units", "sold_recent", "days_of_stock", "sold_in_period",
                "out_of_region_qty", "floor_attempts", "slow_moving"]


def to_workbook(data: dict[str, Any]) -> bytes:
    """The report as an Excel file: the grouped flows, then the distributors and their flags.
    Money stays text so no cent is lost to floating point."""
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("sell-through")
    cols, rows = export_rows(data)
    ws.append(cols)
    for row in rows:
        ws.append(row)
    ws2 = wb.create_sheet("distributors")
    ws2.append(DIST_COLUMNS)
    for d in data["distributors"]:
        ws2.append([", ".join(d[c]) if c == "slow_moving" else d[c] for c in DIST_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
