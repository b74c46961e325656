"""Admin: the dashboard, "what needs me now".

To-do counts that link to the filtered lists (orders to approve, low stock, and whatever enabled
plugins count through ``qudao_dashboard_todos``), today and this month against the same days of
last month with a trend chart, top products and customers this month, recent orders, and the
plugins' panels. Every figure is computed here, server-side; the chart script only draws them.

Sales are the brand's own orders that were not rejected or cancelled, on the day (tenant time
zone) they were placed; the same rule as the sales report.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from litestar import get
from litestar.response import Response
from sqlalchemy import func, select

from qudao.core.customers.applications import pending_count
from qudao.core.customers.models import Customer
from qudao.core.customers.scope import order_customer_criteria
from qudao.core.inventory.service import counts_in_transit
from qudao.core.inventory.stocktake import low_stock
from qudao.core.orders.models import Order, OrderLine
from qudao.core.plugins.panels import Todo, collect_panels, collect_todos
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, page, say
from qudao.web.pages.admin.orders import STATUS_LABELS
from qudao.web.pages.common import staff_page

NOT_SALES = ("rejected", "cancelled")
TOP = 5


@dataclass
class Period:
    amount: Decimal = Decimal("0")
    orders: int = 0

    def add(self, total: Decimal) -> None:
        self.amount += total
        self.orders += 1


@dataclass
class Figures:
    today: Period = field(default_factory=Period)
    yesterday: Period = field(default_factory=Period)
    month: Period = field(default_factory=Period)
    last_month_to_date: Period = field(default_factory=Period)
    last_month: Period = field(default_factory=Period)
    chart: dict[str, Any] = field(default_factory=dict)


def delta(now: Decimal | int, before: Decimal | int) -> int | None:
    """Percent change, or None when there is nothing to compare with."""
    if not before:
        return None
    return int(round((Decimal(now) - Decimal(before)) * 100 / Decimal(before)))


def _bounds(zone: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _own_sales(ctx: RequestContext) -> tuple[Any, ...]:
    return (Order.status.not_in(NOT_SALES), Order.seller_customer_id.is_(None),
            *order_customer_criteria(ctx, Order.customer_id))


async def figures(ctx: RequestContext, today: date | None = None) -> Figures:
    """Today, yesterday, this month to date, the same days of last month and last month in full;
    the chart is cumulative sales by day of month, this month against last."""
    zone = ZoneInfo(ctx.tenant.timezone)
    today = today or datetime.now(UTC).astimezone(zone).date()
    month_start = today.replace(day=1)
    last_start = (month_start - timedelta(days=1)).replace(day=1)
    last_days = calendar.monthrange(last_start.year, last_start.month)[1]
    rows = (await ctx.session.execute(select(Order.created_at, Order.total).where(
        Order.created_at >= _bounds(zone, last_start), Order.created_at < _bounds(zone, today + timedelta(days=1)),
        *_own_sales(ctx)))).all()
    f = Figures()
    this_by_day = [Decimal("0")] * today.day
    last_by_day = [Decimal("0")] * last_days
    for created_at, total in rows:
        day = created_at.astimezone(zone).date()
        if day == today:
            f.today.add(total)
        elif day == today - timedelta(days=1):
            f.yesterday.add(total)
        if day >= month_start:
            f.month.add(total)
            this_by_day[day.day - 1] += total
        else:
            f.last_month.add(total)
            last_by_day[day.day - 1] += total
            if day.day <= today.day:
                f.last_month_to_date.add(total)
    f.chart = {"labels": [str(d) for d in range(1, max(today.day, last_days) + 1)],
               "this": _cumulative(this_by_day), "last": _cumulative(last_by_day)}
    return f


def _cumulative(values: list[Decimal]) -> list[str]:
    out, running = [], Decimal("0")
    for v in values:
        running += v
        out.append(str(running))
    return out


async def tops(ctx: RequestContext, since: datetime) -> tuple[list[Any], list[Any]]:
    """This month's top products (by amount, gifts excluded) and top customers."""
    where = (Order.created_at >= since, *_own_sales(ctx))
    products = (await ctx.session.execute(
        select(OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.qty), func.sum(OrderLine.line_total))
        .join(Order, (Order.id == OrderLine.order_id) & (Order.tenant_id == OrderLine.tenant_id))
        .where(*where, OrderLine.gift.is_(False)).group_by(OrderLine.sku)
        .order_by(func.sum(OrderLine.line_total).desc(), OrderLine.sku).limit(TOP))).all()
    customers = (await ctx.session.execute(
        select(Customer.code, Customer.name, func.count(Order.id), func.sum(Order.total))
        .join(Customer, (Customer.id == Order.customer_id) & (Customer.tenant_id == Order.tenant_id))
        .where(*where).group_by(Customer.code, Customer.name)
        .order_by(func.sum(Order.total).desc(), Customer.code).limit(TOP))).all()
    return list(products), list(customers)


async def todos(ctx: RequestContext) -> list[Todo]:
    """The host's own counts first, then the plugins'."""
    waiting = await ctx.session.scalar(select(func.count()).select_from(Order).where(
        Order.status == "submitted", Order.seller_customer_id.is_(None),
        *order_customer_criteria(ctx, Order.customer_id))) or 0
    low = len(await low_stock(ctx.session, counts_in_transit(ctx.tenant)))
    own = [Todo(N_("Orders to approve"), int(waiting), "/admin/orders/queue", "clipboard-check", order=10),
           Todo(N_("Low stock"), low, "/admin/stock/low", "triangle-alert", order=20),
           Todo(N_("Applications to review"), await pending_count(ctx.session), "/admin/applications", "user-plus",
                order=25)]
    return own + await collect_todos(ctx)


@get("/admin")
@staff_page()
async def dashboard(ctx: RequestContext) -> Response[Any]:
    f = await figures(ctx)
    zone = ZoneInfo(ctx.tenant.timezone)
    month_start = datetime.now(UTC).astimezone(zone).date().replace(day=1)
    top_products, top_customers = await tops(ctx, _bounds(zone, month_start))
    recent = (await ctx.session.execute(
        select(Order, Customer).outerjoin(Customer, (Customer.id == Order.customer_id)
                                          & (Customer.tenant_id == Order.tenant_id))
        .where(Order.seller_customer_id.is_(None), *order_customer_criteria(ctx, Order.customer_id))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(8))).all()
    chart = {**f.chart, "currency": ctx.tenant.currency,
             "names": {"this": say(ctx, N_("This month")), "last": say(ctx, N_("Last month"))}}
    return page(ctx, "admin/dashboard.html", f=f, delta=delta, todos=await todos(ctx),
                top_products=top_products, top_customers=top_customers, recent=recent, labels=STATUS_LABELS,
                chart_json=json.dumps(chart, ensure_ascii=False),
                panels=await collect_panels(ctx, "qudao_dashboard_panels"))


HANDLERS = [dashboard]
