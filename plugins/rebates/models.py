"""Rebate tables: programs, accruals, closed periods, settlement entries, accounts, ledger, uses.

Money is kept in integer minor units (``*_minor``, fen for CNY) for the same reason as
the credit plugin: the balance is changed by conditional UPDATEs the database evaluates
(``balance_minor - :a WHERE balance_minor >= :a``), and SQLite stores the ``Money`` type as
text, so only integers compare correctly on every backend. Percentages are kept as text
("2.5") in the program's JSON and as basis points (``cap_bp``, 1000 = 10 %) where SQL needs them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, TenantOwned, quantize, tenant_fk, utcnow

# program.method
TIERED, PER_UNIT = "tiered", "per_unit"
# program.tier_mode
RETROACTIVE, PROGRESSIVE = "retroactive", "progressive"
# program.basis
AMOUNT, QUANTITY = "amount", "quantity"
# program.period
MONTH, QUARTER, YEAR, CUSTOM = "month", "quarter", "year", "custom"

# accrual kinds
ACCRUAL, REVERSAL = "accrual", "reversal"
# settlement entry statuses
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
ENTRY_STATUSES = (PENDING, APPROVED, REJECTED)
# ledger kinds (amount_minor is the signed effect on the spendable balance)
L_APPROVAL = "approval"  # an approved settlement entry (+)
L_DEDUCTION = "deduction"  # an order paid with rebate (-)
L_RESTORE = "restore"  # a rejected/cancelled order gives its deduction back (+)
L_EDIT = "edit"  # a staff edit lowered an order's deduction (+)
L_ADJUSTMENT = "adjustment"  # finance's manual correction with a reason (+/-)
LEDGER_KINDS = (L_APPROVAL, L_DEDUCTION, L_RESTORE, L_EDIT, L_ADJUSTMENT)
# use (deduction of one order) statuses
USE_TAKEN, USE_RESTORED = "taken", "restored"


def to_minor(amount: Decimal, currency: str) -> int:
    from qudao.core.money import places

    return int(quantize(Decimal(amount), currency).scaleb(places(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    from qudao.core.money import places

    return quantize(Decimal(int(minor)).scaleb(-places(currency)), currency)


class RebateProgram(TenantOwned, Base):
    """A rebate program: who and what it covers, how it is computed, over which periods."""

    __tablename__ = "rebates_programs"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(10), default=AMOUNT)
    period: Mapped[str] = mapped_column(String(10), default=QUARTER)
    method: Mapped[str] = mapped_column(String(10), default=TIERED)
    tier_mode: Mapped[str] = mapped_column(String(12), default=RETROACTIVE)
    # [{"from": "500000.00" | 500, "percent": "2"}] ascending; "from" in money or units (basis)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    per_unit: Mapped[str | None] = mapped_column(String(40))  # money per unit, e.g. "1.00"
    # product scope (any matches; none = every product) and buyer scope (all given must match)
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)
    brands: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    customers: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    max_deduct_percent: Mapped[str] = mapped_column(String(10), default="100")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RebateAccrual(TenantOwned, Base):
    """What one received order contributes to one program's period (the accrual ledger).

    Append-only: a reversal is a second row with negated amounts, so a period's basis is
    the sum of its rows, and a row per (program, order, kind) makes accrual idempotent.
    """

    __tablename__ = "rebates_accruals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "program_id", "order_id", "kind"),
        tenant_fk("program_id", "rebates_programs", ondelete="CASCADE"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
    )

    program_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_number: Mapped[str] = mapped_column(String(40))
    period_key: Mapped[str] = mapped_column(String(30))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default=ACCRUAL)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # net of discounts, signed
    qty: Mapped[int] = mapped_column(Integer)  # bought units (gifts excluded), signed
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RebatePeriod(TenantOwned, Base):
    """A closed period of a program; unique, so closing twice finds the first close."""

    __tablename__ = "rebates_periods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "program_id", "period_key"),
        tenant_fk("program_id", "rebates_programs", ondelete="CASCADE"),
    )

    program_id: Mapped[int] = mapped_column(BigInteger)
    period_key: Mapped[str] = mapped_column(String(30))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(254), default="")


class RebateEntry(TenantOwned, Base):
    """One customer's rebate for one closed period of one program, for finance to decide."""

    __tablename__ = "rebates_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "program_id", "period_key", "customer_id"),
        tenant_fk("program_id", "rebates_programs", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    program_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    period_key: Mapped[str] = mapped_column(String(30))
    basis_minor: Mapped[int] = mapped_column(BigInteger)
    qty: Mapped[int] = mapped_column(Integer)
    rate: Mapped[str] = mapped_column(String(20), default="")  # what the math applied, for people
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str] = mapped_column(String(254), default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RebateAccount(TenantOwned, Base):
    """A customer's spendable rebate; ``balance_minor`` always equals its ledger's sum."""

    __tablename__ = "rebates_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # the largest max_deduct_percent of the programs that credited it, in basis points
    cap_bp: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RebateLedger(TenantOwned, Base):
    """Every movement of a rebate account, with who, when and why."""

    __tablename__ = "rebates_ledger"
    __table_args__ = (tenant_fk("account_id", "rebates_accounts", ondelete="CASCADE"),)

    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_minor: Mapped[int] = mapped_column(BigInteger)  # the balance right after this movement
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
    program_id: Mapped[int | None] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    order_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(500), default="")
    user_email: Mapped[str] = mapped_column(String(254), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RebateUse(TenantOwned, Base):
    """What one order took from the account (one row per order), until restored."""

    __tablename__ = "rebates_uses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        tenant_fk("account_id", "rebates_accounts", ondelete="CASCADE"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    account_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=USE_TAKEN)
    at: Mapped[datetime] = mapped_column(default=utcnow)
