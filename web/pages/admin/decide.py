"""What staff need next to a submitted order to decide on it, for the approval queue and the order
page, in a fixed number of queries for any number of orders: the lines with the stock now
available for each (the order's own units are already reserved), the discounts, gifts and
rebates applied, the customer's recent orders, and the plugins' facts (credit headroom, …)
through ``qudao_order_facts``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from qudao.core.inventory.service import availability, counts_in_transit
from qudao.core.orders.models import Order, OrderAdjustment, OrderLine
from qudao.core.plugins.panels import OrderFact, collect_order_facts
from qudao.web.context import RequestContext

RECENT = 3


@dataclass
class Context:
    lines: list[OrderLine] = field(default_factory=list)
    available: dict[int, int] = field(default_factory=dict)  # product id -> available now
    adjustments: list[OrderAdjustment] = field(default_factory=list)
    recent: list[Order] = field(default_factory=list)
    facts: list[OrderFact] = field(default_factory=list)

    @property
    def short(self) -> list[OrderLine]:
        """Lines whose product has nothing left to sell after this order (a warning, not a refusal)."""
        return [ln for ln in self.lines if self.available.get(ln.product_id, 0) <= 0]


async def order_context(ctx: RequestContext, orders: list[Order]) -> dict[int, Context]:
    out = {o.id: Context() for o in orders}
    if not orders:
        return out
    ids = list(out)
    s = ctx.session
    for line in (await s.scalars(select(OrderLine).where(OrderLine.order_id.in_(ids))
                                 .order_by(OrderLine.order_id, OrderLine.line_no))).all():
        out[line.order_id].lines.append(line)
    for adj in (await s.scalars(select(OrderAdjustment).where(OrderAdjustment.order_id.in_(ids))
                                .order_by(OrderAdjustment.id))).all():
        out[adj.order_id].adjustments.append(adj)
    by_warehouse: dict[int | None, set[int]] = defaultdict(set)
    for order in orders:
        by_warehouse[order.warehouse_id].update(ln.product_id for ln in out[order.id].lines)
    cit = counts_in_transit(ctx.tenant)
    stock = {wh: await availability(s, wh, pids, cit) for wh, pids in by_warehouse.items()}
    customers = {o.customer_id for o in orders if o.customer_id}
    history: dict[int, list[Order]] = defaultdict(list)
    if customers:
        rows = (await s.scalars(select(Order).where(Order.customer_id.in_(customers))
                                .order_by(Order.created_at.desc()).limit((RECENT + len(ids)) * len(customers)))).all()
        for row in rows:
            if row.customer_id is not None:
                history[row.customer_id].append(row)
    facts = await collect_order_facts(ctx, orders)
    for order in orders:
        c = out[order.id]
        c.available = stock.get(order.warehouse_id, {})
        c.recent = [r for r in history.get(order.customer_id or -1, []) if r.id != order.id][:RECENT]
        c.facts = facts.get(order.id, [])
    return out
