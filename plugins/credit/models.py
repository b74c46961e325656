"""Credit accounts, per-order holds and the receivables ledger.

Why integer minor units (``*_minor``, fen for CNY) and not the ``Money`` type:
the limit check is a single conditional UPDATE evaluated by the database,
``SET used_minor = used_minor + :a WHERE used_minor + :a <= limit_minor``, and
the database must compare numbers. On SQLite ``Money`` is stored as text (SQLite
has no exact decimal), so the same SQL would compare strings ("900" > "1000").
BigInteger minor units are exact on every backend; amounts are converted to and
from ``Decimal`` at the edges (``to_minor`` / ``from_minor`` of the plugin API) with
the currency's places.

The CHECK constraints are a backstop only: ``used_minor >= 0`` and
``limit_minor >= 0``. There is deliberately no ``used <= limit`` CHECK, because
finance must be able to lower a limit below what is already used (new orders
are then refused until enough is repaid); the limit is enforced by the
conditional UPDATE when an order takes credit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    AccountMovement,
    Base,
    CreatedAt,
    Currency,
    CustomerRef,
    Int32,
    Note,
    OrderNumber,
    OrderRef,
    TenantOwned,
    Timestamps,
    tenant_ref,
)
from qudao.core.plugin_api import from_minor as from_minor  # the plugin's modules import them from here
from qudao.core.plugin_api import to_minor as to_minor

HOLD_HELD, HOLD_RELEASED, HOLD_SETTLED = "held", "released", "settled"

# Ledger entry kinds. ``amount_minor`` is signed: its effect on what the customer owes.
CHARGE = "charge"  # an order took credit (+)
RELEASE = "release"  # an order was rejected or cancelled (-)
SETTLE = "settle"  # an order was paid through the order's own payment (-)
REPAYMENT = "repayment"  # finance recorded money received (-)
ADJUSTMENT = "adjustment"  # finance corrected the balance (+/-)
LIMIT = "limit"  # the credit line changed (amount 0; kept for the audit trail)
ENTRY_KINDS = (CHARGE, RELEASE, SETTLE, REPAYMENT, ADJUSTMENT, LIMIT)


class CreditAccount(Timestamps, TenantOwned, Base):
    """One credit line per customer."""

    __tablename__ = "credit_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        CheckConstraint("used_minor >= 0", name="used_not_negative"),
        CheckConstraint("limit_minor >= 0", name="limit_not_negative"),
    )

    customer_id: Mapped[CustomerRef]
    currency: Mapped[Currency] = mapped_column(default="CNY")
    limit_minor: Mapped[int] = mapped_column(default=0)
    used_minor: Mapped[int] = mapped_column(default=0)
    terms_days: Mapped[Int32 | None]
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    # None = follow the plugin setting ``block_overdue``
    block_when_overdue: Mapped[bool | None]
    note: Mapped[Note]

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)


class CreditHold(TenantOwned, Base):
    """An open receivable: the credit an order uses from submitted until it is paid, rejected
    or cancelled (``kind="order"``), or a debit finance booked by hand (``kind="adjustment"``).

    ``used_minor`` of the account always equals the sum of ``outstanding_minor`` of its
    ``held`` items; repayments are allocated to the items oldest due date first, so the
    buyer and finance can see what is due when.
    """

    __tablename__ = "credit_holds"
    __tenant_parent__ = "credit_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        CheckConstraint("outstanding_minor >= 0 AND outstanding_minor <= amount_minor", name="outstanding_range"),
        # every quote and order asks for the account's overdue items (held, due before today):
        # without it that read walked every open hold of the account, one more with each order
        Index("ix_credit_holds_account_status_due", "tenant_id", "account_id", "status", "due_date"),
    )

    account_id: Mapped[int] = tenant_ref("credit_accounts", ondelete="CASCADE", index=True)
    customer_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(12), default="order")
    order_id: Mapped[OrderRef | None]
    order_number: Mapped[OrderNumber | None]
    note: Mapped[Note]
    amount_minor: Mapped[int]
    # what is still owed on this order (repayments are allocated oldest due date first)
    outstanding_minor: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=HOLD_HELD)
    due_date: Mapped[date | None]
    created_at: Mapped[CreatedAt]
    closed_at: Mapped[datetime | None]


class CreditEntry(AccountMovement, TenantOwned, Base):
    """The receivables ledger: every change of what a customer owes, with who, when and why
    (``balance_minor`` is the account's ``used_minor`` right after the entry)."""

    __tablename__ = "credit_entries"
    __tenant_parent__ = "credit_accounts"
    __account_table__ = "credit_accounts"

    order_id: Mapped[int | None]
    order_number: Mapped[OrderNumber | None]
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[Note]
    user_id: Mapped[int | None]
