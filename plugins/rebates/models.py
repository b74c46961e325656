"""Rebate tables: programs, accruals, closed periods, settlement entries, accounts, ledger, uses.

Money is kept in integer minor units (``*_minor``, fen for CNY) for the same reason as
the credit plugin: the balance is changed by conditional UPDATEs the database evaluates
(``balance_minor - :a WHERE balance_minor >= :a``), and SQLite stores the ``Money`` type as
text, so only integers compare correctly on every backend. Percentages are kept as text
("2.5") in the program's JSON and as basis points (``cap_bp``, 1000 = 10 %) where SQL needs them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    AccountMovement,
    ActiveTimestamps,
    Base,
    BuyerScope,
    Coded,
    Created,
    CreatedAt,
    Currency,
    CustomerBalance,
    CustomerRef,
    Email,
    Int32,
    JsonList,
    Note,
    OrderNumber,
    OrderRef,
    ProductScope,
    TenantOwned,
    UpdatedAt,
    tenant_ref,
)
from qudao.core.plugin_api import from_minor as from_minor  # the plugin's modules import them from here
from qudao.core.plugin_api import to_minor as to_minor

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


ProgramRef = Annotated[int, tenant_ref("rebates_programs", ondelete="CASCADE")]
"""The program an accrual, a closed period or an entry belongs to, gone with the program."""
PeriodKey = Annotated[str, mapped_column(String(30))]
"""One period of a program by its key (``2026-11``, ``2026-Q4``, ``2026``, or ``<start>..<end>`` for a
program's own dates: periods.py): what accruals, closes and entries are grouped by."""


class RebateProgram(Coded, ProductScope, BuyerScope, ActiveTimestamps, TenantOwned, Base):
    """A rebate program: who and what it covers, how it is computed, over which periods."""

    __tablename__ = "rebates_programs"

    basis: Mapped[str] = mapped_column(String(10), default=AMOUNT)
    period: Mapped[str] = mapped_column(String(10), default=QUARTER)
    method: Mapped[str] = mapped_column(String(10), default=TIERED)
    tier_mode: Mapped[str] = mapped_column(String(12), default=RETROACTIVE)
    # [{"from": "500000.00" | 500, "percent": "2"}] ascending; "from" in money or units (basis)
    tiers: Mapped[JsonList[dict[str, Any]]]
    per_unit: Mapped[str | None] = mapped_column(String(40))  # money per unit, e.g. "1.00"
    # the buyer scope's named customers and tiers (ProductScope and BuyerScope hold the rest)
    customers: Mapped[JsonList[str]]
    customer_tiers: Mapped[JsonList[str]]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    max_deduct_percent: Mapped[str] = mapped_column(String(10), default="100")


class RebateAccrual(TenantOwned, Base):
    """What one received order contributes to one program's period (the accrual ledger).

    Append-only: a reversal is a second row with negated amounts, so a period's basis is
    the sum of its rows, and a row per (program, order, kind) makes accrual idempotent.
    """

    __tablename__ = "rebates_accruals"
    __table_args__ = (UniqueConstraint("tenant_id", "program_id", "order_id", "kind"),)

    program_id: Mapped[ProgramRef] = mapped_column(index=True)
    customer_id: Mapped[int] = mapped_column(index=True)
    order_id: Mapped[OrderRef] = mapped_column(index=True)
    order_number: Mapped[OrderNumber]
    period_key: Mapped[PeriodKey]
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10), default=ACCRUAL)
    amount_minor: Mapped[int]  # net of discounts, signed
    qty: Mapped[Int32]  # bought units (gifts excluded), signed
    at: Mapped[CreatedAt]


class RebatePeriod(TenantOwned, Base):
    """A closed period of a program; unique, so closing twice finds the first close."""

    __tablename__ = "rebates_periods"
    __table_args__ = (UniqueConstraint("tenant_id", "program_id", "period_key"),)

    program_id: Mapped[ProgramRef]
    period_key: Mapped[PeriodKey]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    closed_at: Mapped[CreatedAt]
    closed_by: Mapped[Email] = mapped_column(default="")


class RebateEntry(Created, TenantOwned, Base):
    """One customer's rebate for one closed period of one program, for finance to decide."""

    __tablename__ = "rebates_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "program_id", "period_key", "customer_id"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    program_id: Mapped[ProgramRef] = mapped_column(index=True)
    customer_id: Mapped[CustomerRef] = mapped_column(index=True)
    period_key: Mapped[PeriodKey]
    basis_minor: Mapped[int]
    qty: Mapped[Int32]
    rate: Mapped[str] = mapped_column(String(20), default="")  # what the math applied, for people
    amount_minor: Mapped[int]
    currency: Mapped[Currency] = mapped_column(default="CNY")
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    reason: Mapped[Note]
    decided_by: Mapped[Email] = mapped_column(default="")
    decided_at: Mapped[datetime | None]


class RebateAccount(CustomerBalance, TenantOwned, Base):
    """A customer's spendable rebate; ``balance_minor`` always equals its ledger's sum."""

    __tablename__ = "rebates_accounts"

    currency: Mapped[Currency] = mapped_column(default="CNY")
    # the largest max_deduct_percent of the programs that credited it, in basis points
    cap_bp: Mapped[Int32] = mapped_column(default=0)
    updated_at: Mapped[UpdatedAt]


class RebateLedger(AccountMovement, TenantOwned, Base):
    """Every movement of a rebate account, with who, when and why."""

    __tablename__ = "rebates_ledger"
    __account_table__ = "rebates_accounts"

    entry_id: Mapped[int | None]
    program_id: Mapped[int | None]
    order_id: Mapped[int | None]
    order_number: Mapped[OrderNumber | None]
    note: Mapped[Note]


class RebateUse(TenantOwned, Base):
    """What one order took from the account (one row per order), until restored."""

    __tablename__ = "rebates_uses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    account_id: Mapped[int] = tenant_ref("rebates_accounts", ondelete="CASCADE")
    customer_id: Mapped[int] = mapped_column(index=True)
    order_id: Mapped[OrderRef]
    amount_minor: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=USE_TAKEN)
    at: Mapped[CreatedAt]
