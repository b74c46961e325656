"""Panels: the buyer's progress on the storefront home, "use my rebate" at checkout, and what
waits for approval on the admin dashboard."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qudao.core.customers.models import Customer
from qudao.core.plugin_api import Panel, Todo
from qudao.plugins.rebates import checkout, ledger
from qudao.plugins.rebates.models import PENDING, RebateEntry, from_minor, to_minor
from qudao.plugins.rebates.progress import customer_progress, display
from qudao.plugins.rebates.texts import _


async def storefront(ctx: Any) -> list[Panel]:
    if ctx.customer is None:
        return []
    customer = await ctx.session.scalar(select(Customer).where(Customer.id == ctx.customer.id))
    if customer is None:
        return []
    rows = await customer_progress(ctx, customer)
    account = await ledger.account_for(ctx.session, customer.id)
    if not rows and account is None:
        return []
    currency = ctx.tenant.currency or "CNY"
    balance = display(from_minor(account.balance_minor if account else 0, currency), currency)
    return [Panel(title=_("My rebates"), template="rebates/_panel_progress.html",
                  context={"progress": rows, "balance": balance}, order=20, url="/rebates")]


async def checkout_panel(ctx: Any, cart: Any) -> list[Panel]:
    if ctx.customer is None:
        return []
    account = await ledger.account_for(ctx.session, ctx.customer.id)
    if account is None or account.balance_minor <= 0 or account.cap_bp <= 0:
        return []
    currency = cart.currency
    used = checkout.deducted_minor(cart)
    base = to_minor(cart.total, currency) + used  # the total before this rebate
    allowed = min(account.balance_minor, checkout.cap_minor(base, account.cap_bp))
    return [Panel(title=_("Rebate"), template="rebates/_panel_checkout.html", order=10, context={
        "checked": checkout.requested(cart) is not None if _valid(cart) else False,
        "balance": display(from_minor(account.balance_minor, currency), currency),
        "allowed": display(from_minor(allowed, currency), currency),
        "used": display(from_minor(used, currency), currency)})]


def _valid(cart: Any) -> bool:
    try:
        checkout.requested(cart)
    except Exception:  # noqa: BLE001 - a bad option shows as unticked
        return False
    return True


async def dashboard(ctx: Any) -> list[Panel]:
    count, amount = (await ctx.session.execute(
        select(func.count(), func.coalesce(func.sum(RebateEntry.amount_minor), 0))
        .where(RebateEntry.status == PENDING))).one()
    if not count:
        return []
    currency = ctx.tenant.currency or "CNY"
    return [Panel(title=_("Rebates to approve"), template="rebates/_panel_dashboard.html", order=30,
                  url="/admin/rebates/entries", context={
                      "count": int(count), "amount": display(from_minor(int(amount or 0), currency), currency)})]


async def todos(ctx: Any) -> list[Todo]:
    count = await ctx.session.scalar(select(func.count()).select_from(RebateEntry).where(RebateEntry.status == PENDING))
    return [Todo(label="Rebates to approve", count=int(count or 0), url="/admin/rebates/entries?status=pending",
                 icon="badge-percent", order=40)] if count else []
