"""The suggestion for one customer, in a constant number of queries whatever its product count.

Per product the customer bought (or, when it resells, sold to its stores) in the last
``history_days``:

* ``daily`` = units in the window ÷ ``history_days`` (sell-through when it resells and sold any;
  else its own purchases, gifts excluded, rejected and cancelled orders left out);
* ``stock``: a reseller's own warehouse on hand; else the latest count it reported
  (``qudao_reported_stock``) less ``daily`` × the days since, plus what it received since;
  else unknown (taken as 0 and said so);
* ``on_order``: its orders not yet received (submitted … delivered);
* ``cover`` = (stock + on order) ÷ daily, in days;
* need = daily × (lead time + target days) − stock − on order; when above zero it is rounded
  up to a whole number of steps (the least common multiple of the order multiple and the
  packing unit) and raised to the minimum quantity (then to the next order multiple).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, select

from qudao.core.catalog.models import Product
from qudao.core.customers.models import Customer
from qudao.core.inventory.models import Stock
from qudao.core.orders.models import Order, OrderEvent, OrderLine
from qudao.core.plugin_api import TenantContext, gather_hook, utcnow

DEAD = ("rejected", "cancelled")
OPEN = ("submitted", "approved", "in_production", "picking", "shipped", "delivered")
MAX_QTY = 100_000


def settings_of(ctx: TenantContext) -> dict[str, int]:
    s = ctx.settings("replenishment")
    return {"lead_time_days": int(s.get("lead_time_days") if s.get("lead_time_days") is not None else 3),
            "target_days": int(s.get("target_days") or 14), "history_days": int(s.get("history_days") or 28)}


def step_of(product: Product) -> int:
    multiple = max(int(product.order_multiple or 1), 1)
    pack = max(int(product.pack_size or 1), 1)
    return multiple * pack // math.gcd(multiple, pack)


def round_qty(need: Decimal, product: Product) -> int:
    """Up to whole steps (order multiple and packing unit), never below the minimum quantity."""
    if need <= 0:
        return 0
    step = step_of(product)
    qty = int((need / step).to_integral_value(rounding=ROUND_CEILING)) * step
    minimum = max(int(product.min_qty or 1), 1)
    if qty < minimum:
        multiple = max(int(product.order_multiple or 1), 1)
        qty = -(-minimum // multiple) * multiple
    return min(qty, MAX_QTY)


async def _purchases(ctx: TenantContext, customer_id: int, since: datetime) -> dict[int, int]:
    rows = await ctx.session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.qty))
        .join(Order, and_(Order.tenant_id == OrderLine.tenant_id, Order.id == OrderLine.order_id))
        .where(Order.customer_id == customer_id, Order.created_at >= since, Order.status.not_in(DEAD),
               OrderLine.gift.is_(False)).group_by(OrderLine.product_id))
    return {pid: int(q or 0) for pid, q in rows.all()}


async def _sell_through(ctx: TenantContext, customer: Customer, days: int) -> dict[str, int]:
    """Units the customer shipped to its own stores (core's sell-through), by SKU; {} for a non-reseller."""
    if not getattr(customer, "can_resell", False):
        return {}
    from qudao.core.channels.sellthrough import flows

    end = _local_today(ctx)
    sold: dict[str, int] = defaultdict(int)
    for f in await flows(ctx, end - timedelta(days=days - 1), end, seller_id=customer.id):
        sold[f.sku] += f.qty
    return dict(sold)


def _local_today(ctx: TenantContext) -> Any:
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo(ctx.tenant.timezone or "Asia/Shanghai")).date()


async def _on_order(ctx: TenantContext, customer_id: int) -> dict[int, int]:
    rows = await ctx.session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.qty))
        .join(Order, and_(Order.tenant_id == OrderLine.tenant_id, Order.id == OrderLine.order_id))
        .where(Order.customer_id == customer_id, Order.status.in_(OPEN)).group_by(OrderLine.product_id))
    return {pid: int(q or 0) for pid, q in rows.all()}


async def _warehouse_stock(ctx: TenantContext, customer: Customer, product_ids: list[int]) -> dict[int, int] | None:
    """A reseller's own warehouse stock (None when it has no warehouse of its own)."""
    if not getattr(customer, "can_resell", False):
        return None
    from qudao.core.channels.sellers import reseller_warehouse

    wh = await reseller_warehouse(ctx.session, customer)
    if wh is None:
        return None
    rows = await ctx.session.execute(select(Stock.product_id, Stock.on_hand)
                                     .where(Stock.warehouse_id == wh.id, Stock.product_id.in_(product_ids)))
    return {pid: int(q or 0) for pid, q in rows.all()}


async def _reported(ctx: TenantContext, customer_id: int, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest report per product over every plugin that answers ``qudao_reported_stock``."""
    best: dict[int, dict[str, Any]] = {}
    for answer in await gather_hook(ctx.hooks.qudao_reported_stock, ctx=ctx, customer_id=customer_id,
                                    product_ids=product_ids):
        for pid, info in (answer or {}).items():
            if pid in product_ids and info and (pid not in best or info["at"] > best[pid]["at"]):
                best[pid] = info
    return best


async def _received_since(ctx: TenantContext, customer_id: int, since: datetime) -> list[tuple[int, int, datetime]]:
    received = (select(OrderEvent.tenant_id, OrderEvent.order_id, func.min(OrderEvent.at).label("at"))
                .where(OrderEvent.status == "received").group_by(OrderEvent.tenant_id, OrderEvent.order_id)
                .subquery())
    rows = await ctx.session.execute(
        select(OrderLine.product_id, OrderLine.qty, received.c.at)
        .join(Order, and_(Order.tenant_id == OrderLine.tenant_id, Order.id == OrderLine.order_id))
        .join(received, and_(received.c.tenant_id == Order.tenant_id, received.c.order_id == Order.id))
        .where(Order.customer_id == customer_id, received.c.at > since))
    return [(pid, int(q), at) for pid, q, at in rows.all()]


def _days(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def suggest(ctx: TenantContext, customer: Customer | None) -> dict[str, Any]:
    """``{customer, settings, lines: [...]}``; lines with ``suggested_qty`` 0 have enough cover."""
    if customer is None:
        return {"customer": None, "settings": settings_of(ctx), "lines": []}
    cfg = settings_of(ctx)
    window = cfg["history_days"]
    now = utcnow()
    bought = await _purchases(ctx, customer.id, now - timedelta(days=window))
    sold = await _sell_through(ctx, customer, window)
    skus = dict((await ctx.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(sold)))).all()) \
        if sold else {}
    sold_by_id = {skus[s]: q for s, q in sold.items() if s in skus}
    ids = sorted(set(bought) | set(sold_by_id))
    products = {p.id: p for p in (await ctx.session.scalars(
        select(Product).where(Product.id.in_(ids), Product.active.is_(True)))).all()} if ids else {}
    ids = [pid for pid in ids if pid in products]
    if not ids:
        return {"customer": customer.code, "settings": cfg, "lines": []}
    on_order = await _on_order(ctx, customer.id)
    known = await _warehouse_stock(ctx, customer, ids)
    reported = await _reported(ctx, customer.id, ids) if known is None else {}
    earliest = min((r["at"] for r in reported.values()), default=None)
    arrivals = await _received_since(ctx, customer.id, earliest) if earliest is not None else []
    lines = []
    for pid in ids:
        p = products[pid]
        units, demand_source = (sold_by_id[pid], "sell-through") if sold_by_id.get(pid) else (bought.get(pid, 0),
                                                                                                "purchases")
        daily = Decimal(units) / Decimal(window)
        if known is not None:
            stock, stock_source, stock_at = known.get(pid, 0), "warehouse", None
        elif pid in reported:
            r = reported[pid]
            elapsed = Decimal(max((now - r["at"]).total_seconds(), 0)) / Decimal(86400)
            arrived = sum(q for apid, q, at in arrivals if apid == pid and at > r["at"])
            used = int((daily * elapsed).to_integral_value(rounding=ROUND_HALF_UP))
            stock, stock_source, stock_at = max(int(r["qty"]) - used, 0) + arrived, "reported", r["at"]
        else:
            stock, stock_source, stock_at = 0, "unknown", None
        incoming = on_order.get(pid, 0)
        cover = _days(Decimal(stock + incoming) / daily) if daily > 0 else None
        level = daily * (cfg["lead_time_days"] + cfg["target_days"])
        need = level - stock - incoming
        qty = round_qty(need, p)
        line = {"sku": p.sku, "name": p.name, "product_id": p.id, "unit": p.unit, "daily": str(_days(daily)),
                "demand_source": demand_source, "units_in_window": units, "stock": stock,
                "stock_source": stock_source, "stock_reported_at": stock_at.isoformat() if stock_at else None,
                "on_order": incoming, "cover_days": str(cover) if cover is not None else None,
                "target_days": cfg["target_days"], "lead_time_days": cfg["lead_time_days"],
                "need": str(_days(need)) if need > 0 else "0", "suggested_qty": qty, "step": step_of(p),
                "min_qty": int(p.min_qty or 1)}
        line["explanation"] = explain(line)
        lines.append(line)
    lines.sort(key=lambda x: (x["suggested_qty"] == 0, Decimal(x["cover_days"] or "0"), x["sku"]))
    return {"customer": customer.code, "settings": cfg, "lines": lines}


def explain(line: dict[str, Any]) -> str:
    """The line's reason in a sentence (English; the pages build the same sentence translated)."""
    stock = {"warehouse": f"{line['stock']} in its warehouse", "reported": f"{line['stock']} from its last count",
             "unknown": "stock not reported (counted as 0)"}[line["stock_source"]]
    cover = f"{line['cover_days']} days of cover left" if line["cover_days"] is not None else "no recent sales"
    text = (f"sells {line['daily']}/day ({line['demand_source']}), {stock}, {line['on_order']} on order, {cover}, "
            f"target {line['target_days']} + {line['lead_time_days']} days lead time")
    if line["suggested_qty"]:
        text += f": order {line['suggested_qty']} (steps of {line['step']}, min {line['min_qty']})"
    else:
        text += ": enough for now"
    return text
