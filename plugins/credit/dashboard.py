"""What credit tells staff through the host's hooks: the dashboard's overdue count and, next to an
order awaiting approval, the customer's credit headroom (the pages never import this plugin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qudao.core.plugin_api import OrderFact, Todo
from qudao.plugins.credit.accounts import Standing, blocks_when_overdue, tenant_today
from qudao.plugins.credit.models import HOLD_HELD, CreditAccount, CreditHold, from_minor


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker the extractor knows
    return message


def _overdue(today: Any) -> tuple[Any, ...]:
    return (CreditHold.status == HOLD_HELD, CreditHold.outstanding_minor > 0, CreditHold.due_date.is_not(None),
            CreditHold.due_date < today)


async def overdue_todo(ctx: Any) -> list[Todo]:
    """How many customers owe past their due date (one query)."""
    count = await ctx.session.scalar(
        select(func.count(func.distinct(CreditHold.account_id))).where(*_overdue(tenant_today(ctx))))
    return [Todo(N_("Customers with overdue credit"), int(count or 0), "/admin/credit", "wallet", order=30)]


async def order_facts(ctx: Any, orders: list[Any]) -> dict[int, list[OrderFact]]:
    """Credit available (and anything overdue) for each order's customer, in two queries."""
    ids = {o.customer_id for o in orders if getattr(o, "customer_id", None)}
    if not ids:
        return {}
    today = tenant_today(ctx)
    accounts = {a.customer_id: a for a in (await ctx.session.scalars(
        select(CreditAccount).where(CreditAccount.customer_id.in_(ids)))).all()}
    late = dict((await ctx.session.execute(
        select(CreditHold.customer_id, func.sum(CreditHold.outstanding_minor))
        .where(CreditHold.customer_id.in_(ids), *_overdue(today)).group_by(CreditHold.customer_id))).all())
    out: dict[int, list[OrderFact]] = {}
    for order in orders:
        account = accounts.get(order.customer_id)
        if account is None:
            continue
        st = Standing(account=account, valid=account.valid_on(today), overdue_minor=int(late.get(account.customer_id)
                      or 0), overdue_since=None, blocks=blocks_when_overdue(ctx, account))
        over = account.used_minor > st.effective_limit_minor
        facts = [OrderFact(N_("Credit available"), from_minor(st.available_minor, account.currency),
                           "bad" if over else ("warn" if st.available_minor == 0 else "ok"), "/admin/credit")]
        if st.overdue_minor:
            facts.append(OrderFact(N_("Credit overdue"), from_minor(st.overdue_minor, account.currency), "bad",
                                   "/admin/credit"))
        out[order.id] = facts
    return out
