"""Orders on credit: checking a cart against the line, taking credit when an order is placed,
re-checking an edited order, warning when use crosses the threshold, and closing the hold when
the order is paid, rejected or cancelled."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qudao.core.plugin_api import Violation, add_rows, gather_hook, transaction_note, utcnow
from qudao.plugins.credit.accounts import (
    CODE_LIMIT,
    CODE_OVERDUE,
    Standing,
    account_for,
    add_entry,
    bump,
    customer_standing,
    money,
    plugin_settings,
    standing,
    tenant_today,
    terms_for,
    who,
)
from qudao.plugins.credit.models import (
    CHARGE,
    HOLD_HELD,
    HOLD_RELEASED,
    HOLD_SETTLED,
    RELEASE,
    SETTLE,
    CreditAccount,
    CreditEntry,
    CreditHold,
    to_minor,
)

CHECKED = "credit_checked"  # transaction note: customer id -> Standing read by check_amount


def _refusals(st: Standing, amount_minor: int) -> list[Violation]:
    a = st.account
    out: list[Violation] = []
    if st.blocks and st.overdue_minor > 0:
        out.append(Violation(CODE_OVERDUE, (
            f"An overdue balance of {st.money(st.overdue_minor)} (due since {st.overdue_since}) must be "
            f"settled before new orders can be placed on credit.")))
    after = a.used_minor + amount_minor
    if after > st.effective_limit_minor:
        settle = after - st.effective_limit_minor
        if st.valid:
            why = (f"this order of {st.money(amount_minor)} would take credit used to {st.money(after)}, "
                   f"over the credit limit of {st.money(a.limit_minor)} "
                   f"(available {st.money(st.available_minor)})")
        else:
            span = f"{a.valid_from or '…'} – {a.valid_until or '…'}"
            why = f"the credit line is valid {span} only, so there is no credit available today"
        out.append(Violation(CODE_LIMIT, (
            f"Credit limit exceeded: {why}. Settle {st.money(settle)} to place this order.")))
    return out


async def check_amount(ctx: Any, customer_id: int | None, amount: Decimal) -> list[Violation]:
    """Read-only check used at quote and before placement; the placement hook decides for real."""
    st = await customer_standing(ctx, customer_id)
    if st is None:
        return []  # credit applies only to customers with a credit account
    amount_minor = to_minor(amount, st.account.currency)
    if amount_minor <= 0:
        return []
    transaction_note(ctx.session, CHECKED, dict)[customer_id] = st  # the placement hook reuses both reads
    return _refusals(st, amount_minor)


async def take_for_order(ctx: Any, order: Any) -> list[Violation]:
    """Inside the placement transaction: hold the order's total or refuse it.

    The account and its standing read by ``check_amount`` moments before, in the same
    transaction, are reused; the conditional UPDATE below is what guards the limit."""
    checked = transaction_note(ctx.session, CHECKED, dict).pop(order.customer_id, None)
    st = checked if checked is not None else await customer_standing(ctx, order.customer_id)
    if st is None:
        return []
    account = st.account
    amount = to_minor(order.total, account.currency)
    if amount <= 0:
        return []
    if st.blocks and st.overdue_minor > 0:
        return _refusals(st, 0)
    if await bump(ctx.session, account, amount, cap=None if st.valid else 0) is None:
        account = await account_for(ctx.session, order.customer_id, fresh=True)
        assert account is not None
        refused = _refusals(await standing(ctx, account), amount)
        return refused or [Violation(CODE_LIMIT, f"Credit limit exceeded: settle {st.money(amount)} first.")]
    terms = terms_for(ctx, account)
    due = tenant_today(ctx) + timedelta(days=terms) if terms is not None else None  # the order is placed now
    # the hold and the ledger entry are written with the transaction's other queued rows, the
    # order's among them (one statement on PostgreSQL), before its next statement or its commit
    add_rows(ctx.session, CreditHold, [dict(account_id=account.id, customer_id=account.customer_id, kind="order",
                                            order_id=order.id, order_number=order.number, amount_minor=amount,
                                            outstanding_minor=amount, status=HOLD_HELD, due_date=due)])
    uid, email = who(ctx)
    add_rows(ctx.session, CreditEntry, [dict(account_id=account.id, customer_id=account.customer_id, kind=CHARGE,
                                             amount_minor=amount, balance_minor=account.used_minor,
                                             order_id=order.id, order_number=order.number,
                                             note=f"due {due.isoformat()}" if due else "", reference="",
                                             user_id=uid, user_email=email or "")])
    await alert_if_crossed(ctx, account, account.used_minor - amount)
    return []


async def held_for_order(ctx: Any, order: Any) -> tuple[CreditAccount, CreditHold] | None:
    """The order's open hold with its account row locked, or None when nothing is held."""
    hold = await ctx.session.scalar(select(CreditHold).where(CreditHold.order_id == order.id))
    if hold is None or hold.status != HOLD_HELD:
        return None
    account = await ctx.session.scalar(
        select(CreditAccount).where(CreditAccount.id == hold.account_id).with_for_update()
        .execution_options(populate_existing=True))
    if account is None:
        return None
    # the account row is locked now: re-read the item (a repayment may have changed it)
    hold = await ctx.session.scalar(select(CreditHold).where(CreditHold.id == hold.id)
                                    .execution_options(populate_existing=True))
    if hold is None or hold.status != HOLD_HELD:
        return None
    return account, hold


async def order_edited(ctx: Any, order: Any) -> list[Violation]:
    """Staff changed a submitted order: hold its new total, or refuse the edit over the limit."""
    found = await held_for_order(ctx, order)
    if found is None:
        return []  # placed without a credit line (or already closed): nothing held, nothing to change
    account, hold = found
    new_amount = to_minor(order.total, account.currency)
    delta = new_amount - hold.amount_minor
    if delta == 0:
        return []
    # A repayment may already have settled part of the hold: what stays open moves by the same delta.
    change = max(delta, -hold.outstanding_minor)
    if change > 0:
        st = await standing(ctx, account)
        if await bump(ctx.session, account, change, cap=None if st.valid else 0) is None:
            fresh = await account_for(ctx.session, order.customer_id, fresh=True)
            assert fresh is not None
            st = await standing(ctx, fresh)
            return [Violation(CODE_LIMIT, (
                f"Credit limit exceeded: the edit adds {st.money(change)} to order {order.number}, "
                f"but only {st.money(st.available_minor)} of credit is available."))]
    elif change < 0 and await bump(ctx.session, account, change) is None:
        raise RuntimeError("credit ledger out of balance")
    hold.amount_minor = new_amount
    hold.outstanding_minor += change
    if change:
        await add_entry(ctx, account, CHARGE if change > 0 else RELEASE, change, order=order,
                     note=f"order edited: total {money(new_amount - delta, account.currency)} → "
                          f"{money(new_amount, account.currency)}")
    if change > 0:
        await alert_if_crossed(ctx, account, account.used_minor - change)
    return []


async def alert_if_crossed(ctx: Any, account: CreditAccount, before_minor: int) -> None:
    """Fire ``qudao_credit_alert`` once when used credit crosses the warning share of the limit."""
    share = int(plugin_settings(ctx).get("warn_at_percent") or 0)
    if share <= 0 or account.limit_minor <= 0:
        return
    threshold = account.limit_minor * share // 100
    if before_minor < threshold <= account.used_minor:
        st = await standing(ctx, account)
        await gather_hook(ctx.hooks.qudao_credit_alert, ctx=ctx, customer_id=account.customer_id,
                          kind="near_limit", message=(
                              f"Credit used {st.money(account.used_minor)} of {st.money(account.limit_minor)} "
                              f"({account.used_minor * 100 // account.limit_minor}%); "
                              f"available {st.money(st.available_minor)}."))


async def close_order(ctx: Any, order: Any, *, paid: bool, note: str = "") -> None:
    """Give back what an order still holds: released (rejected/cancelled) or settled (paid)."""
    found = await held_for_order(ctx, order)
    if found is None:
        return
    account, hold = found
    give_back = hold.outstanding_minor
    if give_back > 0 and await bump(ctx.session, account, -give_back) is None:
        raise RuntimeError("credit ledger out of balance")  # the CHECK backstop would fire anyway
    hold.outstanding_minor = 0
    hold.status = HOLD_SETTLED if paid else HOLD_RELEASED
    hold.closed_at = utcnow()
    if give_back > 0:
        await add_entry(ctx, account, SETTLE if paid else RELEASE, -give_back, order=order, note=note)
