"""Payments, refunds, prepaid balances, split rules, connected accounts and the settlement ledger.

Amounts are integer minor units (``*_minor``: fen for CNY, cents for USD), as Stripe
counts them, and because balances are changed with one conditional SQL UPDATE
(``SET balance_minor = balance_minor - :a WHERE balance_minor >= :a``) that the database
must evaluate numerically (SQLite keeps the ``Money`` type as text). Amounts are
converted to and from ``Decimal`` at the edges with the currency's places
(``to_minor`` / ``from_minor`` of the plugin API).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    Base,
    Created,
    CreatedAt,
    Currency,
    CustomerBalance,
    CustomerRef,
    Json,
    OrderNumber,
    OrderRef,
    TenantOwned,
    tenant_ref,
    utcnow,
)
from qudao.core.plugin_api import from_minor as from_minor  # the plugin's modules import them from here
from qudao.core.plugin_api import to_minor as to_minor

# payment methods
CARD, BALANCE, BANK_TRANSFER, CREDIT = "card", "balance", "bank_transfer", "credit"
METHODS = (CARD, BALANCE, BANK_TRANSFER, CREDIT)

# payment statuses
P_CREATING = "creating"  # row written, PaymentIntent not created yet (or its answer was lost)
P_PENDING = "pending"  # waiting for the buyer / Stripe (requires_payment_method, _confirmation, _action, processing)
P_SUCCEEDED = "succeeded"
P_FAILED = "failed"  # canceled, or the provider refused it
PAYMENT_OPEN = (P_CREATING, P_PENDING)

# refund statuses
R_PENDING, R_SUCCEEDED, R_FAILED = "pending", "succeeded", "failed"

# settlement line statuses
L_PENDING = "pending"  # to be transferred through Stripe Connect
L_PAID = "paid"  # transferred (stripe_transfer_id set)
L_REVERSED = "reversed"  # fully reversed after refunds
L_KEPT = "kept"  # the platform's fee: stays on the platform account, nothing to transfer
L_OFFLINE = "offline"  # the order was not paid through Stripe: the brand settles this line itself
L_RECORDED = "recorded"  # a sales rep's commission: recorded only, never transferred

# settlement line roles
PLATFORM, BRAND, DISTRIBUTOR, SALES_REP = "platform", "brand", "distributor", "sales_rep"

# balance ledger kinds (amount_minor is signed: its effect on the balance)
TOPUP, PAY, REFUND = "topup", "pay", "refund"


class Payment(TenantOwned, Base):
    """One attempt to pay (part of) an order by one method."""

    __tablename__ = "payments_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "payment_intent_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunded_in_range"),
    )

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    order_number: Mapped[OrderNumber]
    method: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int]
    refunded_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default=P_CREATING)
    stripe_status: Mapped[str | None] = mapped_column(String(40))
    payment_intent_id: Mapped[str | None] = mapped_column(String(100))
    client_secret: Mapped[str | None] = mapped_column(String(200))
    charge_id: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    succeeded_at: Mapped[datetime | None]


class Refund(TenantOwned, Base):
    """Money given back on one payment; card refunds go through Stripe with a deterministic key."""

    __tablename__ = "payments_refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    order_number: Mapped[OrderNumber]
    payment_id: Mapped[int] = tenant_ref("payments_payments", ondelete="CASCADE", index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default=R_PENDING)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    failure: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class BalanceAccount(CustomerBalance, Created, TenantOwned, Base):
    """A customer's prepaid (stored-value) account."""

    __tablename__ = "payments_balance_accounts"

    currency: Mapped[Currency]


class BalanceEntry(Created, TenantOwned, Base):
    """Prepaid balance ledger: top-ups (+), payments (-), refunds back to the balance (+)."""

    __tablename__ = "payments_balance_entries"

    account_id: Mapped[int] = tenant_ref("payments_balance_accounts", ondelete="CASCADE", index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int]
    balance_after_minor: Mapped[int]
    order_number: Mapped[OrderNumber | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None]


class SplitRule(TenantOwned, Base):
    """The tenant's split: platform fee (set by the operator) + brand + distributor = 100 %.

    Percentages are kept as text decimals (exact on every backend). ``sales_rep_percent``
    is a memo carved out of the brand's share: recorded, never transferred.
    """

    __tablename__ = "payments_split_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(40), default="default")
    platform_percent: Mapped[str] = mapped_column(String(20))
    brand_percent: Mapped[str] = mapped_column(String(20))
    distributor_percent: Mapped[str] = mapped_column(String(20))
    sales_rep_percent: Mapped[str] = mapped_column(String(20), default="0")
    updated_by: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConnectedAccount(TenantOwned, Base):
    """A party's Stripe Connect (express) account: ``brand`` or ``customer:<code>`` (a distributor)."""

    __tablename__ = "payments_connected_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "party"),)

    party: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[CustomerRef | None]
    stripe_account_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | active
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SettlementLine(TenantOwned, Base):
    """What one party gets of one paid order (the settlement ledger)."""

    __tablename__ = "payments_settlement_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", "party"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint("reversed_minor >= 0", name="reversed_not_negative"),
        Index("ix_payments_settlement_lines_status", "tenant_id", "status"),
    )

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    order_number: Mapped[OrderNumber]
    party: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    percent: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int]
    reversed_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20))
    source_charge_id: Mapped[str | None] = mapped_column(String(100))
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(100))
    destination: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    paid_at: Mapped[datetime | None]


class Reversal(Created, TenantOwned, Base):
    """A settlement line's share of one refund (a Stripe transfer reversal for transferred lines)."""

    __tablename__ = "payments_reversals"
    __table_args__ = (UniqueConstraint("tenant_id", "refund_id", "line_id"),)

    refund_id: Mapped[int] = tenant_ref("payments_refunds", ondelete="CASCADE", index=True)
    line_id: Mapped[int] = tenant_ref("payments_settlement_lines", ondelete="CASCADE", index=True)
    order_number: Mapped[OrderNumber]
    party: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int]  # signed only for the platform's remainder
    status: Mapped[str] = mapped_column(String(20), default=L_PENDING)  # pending | done | kept
    stripe_reversal_id: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200))


class WebhookEvent(TenantOwned, Base):
    """Each Stripe event id is processed once (the unique key refuses a second insert)."""

    __tablename__ = "payments_webhook_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id"),)

    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[Json | None]
    received_at: Mapped[CreatedAt]

