"""Paying part of an order with rebate: quote, placement, release and staff edits.

The buyer asks with ``use_rebate`` on ``POST /cart/quote`` / ``POST /orders`` (``true`` = as
much as allowed, or an amount string such as ``"50.00"``); the checkout page sends ``true``
when "use rebate" is ticked. The deduction is an order adjustment with source ``rebates`` of
at most ``min(balance, cap)``, where ``cap`` is the account's ``max_deduct_percent`` of the total
after promotions, rounded down to the cent (so it never exceeds the percent). An explicit amount
above the balance or the cap is refused with a violation (never silently lowered); ``true``
takes what is allowed. A ``use_rebate`` that is neither a boolean nor an amount string is the
violation ``rebate_invalid`` (a quote shows it, an order is refused with 422).

Quote and order run the same code, so they agree. At placement the balance is taken with one
conditional UPDATE (``ledger.move``); when a concurrent order spent it meanwhile, the order is
refused (``rebate_balance_insufficient``) and everything rolls back. Without ``use_rebate`` the
hooks answer from memory: placement runs no extra SQL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from qudao.core.errors import InputError
from qudao.core.plugin_api import Adjustment, Violation, parse_money
from qudao.plugins.rebates import ledger
from qudao.plugins.rebates.models import (
    L_DEDUCTION,
    L_EDIT,
    L_RESTORE,
    USE_RESTORED,
    USE_TAKEN,
    RebateUse,
    from_minor,
    to_minor,
)

SOURCE = "rebates"
CODE_BALANCE = "rebate_balance_insufficient"
CODE_CAP = "rebate_over_cap"
CODE_NO_ACCOUNT = "rebate_needs_customer"
CODE_INVALID = "rebate_invalid"
RELEASING = ("rejected", "cancelled")
LABELS = {"zh": "返利抵扣", "en": "Rebate"}


def label(ctx: Any) -> str:
    locale = (getattr(ctx.tenant, "locale", None) or "zh_CN").lower()
    return LABELS["zh" if locale.startswith("zh") else "en"]


def requested(cart: Any) -> bool | Decimal | None:
    """What the buyer asked for: None (nothing), True (as much as allowed) or an amount."""
    raw = (getattr(cart, "request", None) or {}).get("use_rebate")
    if raw is None or raw is False:
        return None
    if raw is True:
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("", "false", "0", "no", "off"):
        return None
    if isinstance(raw, str) and raw.strip().lower() in ("true", "on", "yes"):
        return True
    if not isinstance(raw, str):
        raise InputError('must be true, false or an amount string such as "50.00"', field="use_rebate")
    try:
        amount = parse_money(raw, cart.currency)
    except ValueError as exc:
        raise InputError(str(exc), field="use_rebate") from None
    return amount if amount > 0 else None


def cap_minor(total_minor: int, cap_bp: int) -> int:
    """``cap_bp`` basis points of the total, rounded down (pure)."""
    return max(total_minor, 0) * max(cap_bp, 0) // 10000


def _money(minor: int, currency: str) -> str:
    return ledger.money(minor, currency)


async def deductions(ctx: Any, cart: Any) -> list[Adjustment]:
    """``qudao_order_deductions``: the rebate adjustment of a quote, an order or a staff edit."""
    edited = cart.info.get("edited_order_id")
    if edited is not None:
        return await _edit_deduction(ctx, cart, edited)
    info: dict[str, Any] = cart.info.setdefault("rebates", {"violations": []})
    try:
        want = requested(cart)
    except InputError as exc:  # a violation, not an exception: the host isolates plugin errors
        info["violations"].append(Violation(CODE_INVALID, f"use_rebate {exc.errors[0]['message']}"))
        return []
    if want is None:
        return []
    customer = getattr(ctx, "customer", None)
    if customer is None:
        info["violations"].append(Violation(CODE_NO_ACCOUNT, "Only a customer's buyers can pay with rebate."))
        return []
    currency = cart.currency
    account = await ledger.account_for(ctx.session, customer.id)
    balance = account.balance_minor if account else 0
    total = to_minor(cart.total, currency)
    cap = cap_minor(total, account.cap_bp if account else 0)
    allowed = min(balance, cap)
    info.update(balance=_money(balance, currency), cap=_money(cap, currency), allowed=_money(allowed, currency),
                percent=f"{Decimal(account.cap_bp if account else 0) / 100:f}")
    if want is True:
        amount = allowed
    else:
        amount = to_minor(want, currency)
        if amount > balance:
            info["violations"].append(Violation(CODE_BALANCE, (
                f"Your rebate balance is {_money(balance, currency)}; you asked to use {_money(amount, currency)}.")))
            return []
        if amount > cap:
            info["violations"].append(Violation(CODE_CAP, (
                f"At most {_money(cap, currency)} of this order can be paid with rebate "
                f"({info['percent']}% of {_money(total, currency)}); you asked to use {_money(amount, currency)}.")))
            return []
    info["amount"] = _money(amount, currency)
    if amount <= 0:
        return []
    return [Adjustment(SOURCE, label(ctx), -from_minor(amount, currency), kind="deduction")]


def violations(cart: Any) -> list[Violation]:
    """``qudao_validate_cart``: what ``deductions`` refused (from memory, no SQL)."""
    return list((cart.info.get("rebates") or {}).get("violations", []))


def deducted_minor(cart: Any) -> int:
    amount = -sum((a.amount for a in cart.adjustments if a.source == SOURCE), Decimal(0))
    return to_minor(amount, cart.currency) if amount > 0 else 0


async def take(ctx: Any, order: Any, cart: Any) -> list[Violation]:
    """``qudao_order_placed``: spend the deduction with a conditional UPDATE, or refuse the order."""
    amount = deducted_minor(cart)
    if amount <= 0:
        return []
    account = await ledger.account_for(ctx.session, order.customer_id)
    if account is None or await ledger.move(ctx, account, -amount, L_DEDUCTION, order=order,
                                            note=f"order {order.number}") is None:
        fresh = await ledger.account_for(ctx.session, order.customer_id, fresh=True)
        have = fresh.balance_minor if fresh else 0
        return [Violation(CODE_BALANCE, (
            f"Your rebate balance is now {_money(have, order.currency)} and no longer covers the "
            f"{_money(amount, order.currency)} this order uses; quote again."))]
    ctx.session.add(RebateUse(account_id=account.id, customer_id=account.customer_id, order_id=order.id,
                              amount_minor=amount, status=USE_TAKEN))
    return []


async def _use_of(ctx: Any, order_id: int) -> RebateUse | None:
    return await ctx.session.scalar(select(RebateUse).where(RebateUse.order_id == order_id,
                                                            RebateUse.status == USE_TAKEN))


async def restore(ctx: Any, order: Any, new: str) -> None:
    """A rejected or cancelled order gives back what it took (once: the use row is flipped first)."""
    use = await _use_of(ctx, order.id)
    if use is None:
        return
    flipped = await ctx.session.execute(
        update(RebateUse).where(RebateUse.id == use.id, RebateUse.status == USE_TAKEN)
        .values(status=USE_RESTORED).execution_options(synchronize_session=False))
    if flipped.rowcount != 1:
        return
    account = await ledger.account_for(ctx.session, use.customer_id)
    if account is not None and use.amount_minor > 0:
        await ledger.move(ctx, account, use.amount_minor, L_RESTORE, order=order, note=f"order {new}")


async def _edit_deduction(ctx: Any, cart: Any, order_id: int) -> list[Adjustment]:
    """A staff edit keeps the deduction the buyer chose, lowered to the cap of the new total
    (an edit never takes more rebate than the buyer agreed to)."""
    use = await _use_of(ctx, order_id)
    if use is None or use.amount_minor <= 0:
        return []
    account = await ledger.account_for(ctx.session, use.customer_id)
    cap = cap_minor(to_minor(cart.total, cart.currency), account.cap_bp if account else 0)
    amount = min(use.amount_minor, cap)
    if amount <= 0:
        return []
    return [Adjustment(SOURCE, label(ctx), -from_minor(amount, cart.currency), kind="deduction")]


async def edited(ctx: Any, order: Any, cart: Any) -> list[Violation]:
    """``qudao_order_edited``: give back what the edit no longer uses."""
    use = await _use_of(ctx, order.id)
    if use is None:
        return []
    now = deducted_minor(cart)
    back = use.amount_minor - now
    if back <= 0:
        return []
    account = await ledger.account_for(ctx.session, use.customer_id)
    if account is None:
        return []
    await ledger.move(ctx, account, back, L_EDIT, order=order,
                      note=f"order edited: rebate {_money(use.amount_minor, order.currency)} → "
                           f"{_money(now, order.currency)}")
    use.amount_minor = now
    if now == 0:
        use.status = USE_RESTORED
    return []
