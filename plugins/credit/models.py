"""Credit accounts, per-order holds and the receivables ledger.

Why integer minor units (``*_minor``, fen for CNY) and not the ``Money`` type:
the limit check is a single conditional UPDATE evaluated by the database,
``SET used_minor = used_minor + :a WHERE used_minor + :a <= limit_minor``, and
the database must compare numbers. On SQLite ``Money`` is stored as text (SQLite
has no exact decimal), so the same SQL would compare strings ("900" > "1000").
BigInteger minor units are exact on every backend; amounts are converted to and
from ``Decimal`` at the edges (:func:`to_minor` / :func:`from_minor`) with the
currency's places.

The CHECK constraints are a backstop only: ``used_minor >= 0`` and
``limit_minor >= 0``. There is deliberately no ``used <= limit`` CHECK, because
finance must be able to lower a limit below what is already used (new orders
are then refused until enough is repaid); the limit is enforced by the
conditional UPDATE when an order takes credit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.money import places, quantize
from qudao.core.plugin_api import Base, TenantOwned, tenant_fk, utcnow

HOLD_HELD, HOLD_RELEASED, HOLD_SETTLED = "held", "released", "settled"

# Ledger entry kinds. ``amount_minor`` is signed: its effect on what the customer owes.
CHARGE = "charge"  # an order took credit (+)
RELEASE = "release"  # an order was rejected or cancelled (-)
SETTLE = "settle"  # an order was paid through the order's own payment (-)
REPAYMENT = "repayment"  # finance recorded money received (-)
ADJUSTMENT = "adjustment"  # finance corrected the balance (+/-)
LIMIT = "limit"  # the credit line changed (amount 0; kept for the audit trail)
ENTRY_KINDS = (CHARGE, RELEASE, SETTLE, REPAYMENT, ADJUSTMENT, LIMIT)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal money -> integer minor units (rounded half-up to the currency's places)."""
    return int(quantize(Decimal(amount), currency).scaleb(places(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return quantize(Decimal(int(minor)).scaleb(-places(currency)), currency)


class CreditAccount(TenantOwned, Base):
    """One credit line per customer."""

    __tablename__ = "credit_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        CheckConstraint("used_minor >= 0", name="used_not_negative"),
        CheckConstraint("limit_minor >= 0", name="limit_not_negative"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    terms_days: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    # None = follow the plugin setting ``block_overdue``
    block_when_overdue: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

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
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk("account_id", "credit_accounts", ondelete="CASCADE"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        CheckConstraint("outstanding_minor >= 0 AND outstanding_minor <= amount_minor", name="outstanding_range"),
    )

    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(12), default="order")
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    order_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(500), default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    # what is still owed on this order (repayments are allocated oldest due date first)
    outstanding_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=HOLD_HELD)
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class CreditEntry(TenantOwned, Base):
    """The receivables ledger: every change of what a customer owes, with who, when and why."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        tenant_fk("account_id", "credit_accounts", ondelete="CASCADE"),
    )

    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_minor: Mapped[int] = mapped_column(BigInteger)  # used_minor right after this entry
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    order_number: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    user_email: Mapped[str] = mapped_column(String(254), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
