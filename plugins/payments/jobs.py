"""Dramatiq actors of the payments plugin (``payments.<job>``); each re-reads state and is idempotent."""

from __future__ import annotations

from qudao.core.jobs import job
from qudao.core.plugins.context import TenantContext

# Short backoff: a payout that lost its answer is retried within seconds (same idempotency key).
RETRY = {"max_retries": 20, "min_backoff": 200, "max_backoff": 60_000}


@job("payments.payout", plugin="payments", **RETRY)
async def payout(ctx: TenantContext, order_id: int) -> None:
    """Transfer each pending settlement line of the order to its party's connected account."""
    from qudao.plugins.payments.payouts import payout_order

    await payout_order(ctx, order_id)


@job("payments.reverse", plugin="payments", **RETRY)
async def reverse(ctx: TenantContext, refund_id: int) -> None:
    """Reverse each party's share of one refund (proportional transfer reversals)."""
    from qudao.plugins.payments.payouts import reverse_refund

    await reverse_refund(ctx, refund_id)


@job("payments.refund", plugin="payments", **RETRY)
async def refund(ctx: TenantContext, refund_id: int) -> None:
    """Retry a card refund whose Stripe call failed (same idempotency key)."""
    from qudao.plugins.payments.refunds import process_card_refund

    await process_card_refund(ctx, refund_id, from_job=True)
