"""Declarative mixins for the column groups that several models share as one concept.

Each is a plain class whose annotated columns SQLAlchemy copies onto every model listing it among
its bases (``class RebateAccount(CustomerBalance, TenantOwned, Base)``). A mixin's columns come
after the class's own ones, in the order of the bases, unless they carry ``sort_order=-1`` (then
before them). The migrations hold the same columns; tests/test_schema_citus.py compares them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from qudao.core.db.base import tenant_ref
from qudao.core.db.columns import CreatedAt, CustomerRef, Email, JsonList, TierRef


class Created:
    """``created_at``, stamped once when the row is written (rows that are not changed afterwards:
    an attribution, a ledger line, a log entry); the last of the class's own columns."""

    created_at: Mapped[CreatedAt]


class ProductScope:
    """Which products a rule covers, as codes: ``skus``, ``categories`` (a category covers its
    sub-categories), ``brands``. Any list matching is enough; all empty covers every product."""

    skus: Mapped[JsonList[str]]
    categories: Mapped[JsonList[str]]
    brands: Mapped[JsonList[str]]


class BuyerScope:
    """Which buyers a rule covers by their profile: ``customer_types`` and ``regions`` (a path
    prefix, "浙江/杭州" covers "浙江/杭州/西湖区"). Each non-empty list must match; empty ones don't
    narrow it."""

    customer_types: Mapped[JsonList[str]]
    regions: Mapped[JsonList[str]]


class TierOrCustomer:
    """Who a row is for: a customer tier or one named customer (``tier_id`` / ``customer_id``,
    each gone with what it names); which of them must be set is the table's own rule."""

    tier_id: Mapped[TierRef | None]
    customer_id: Mapped[CustomerRef | None]


class CustomerBalance:
    """A customer's account (one per customer) holding ``balance_minor``, integer minor units that
    never go below 0: spent by a conditional UPDATE the database evaluates, so the unique key and
    the CHECK come with the mixin as its ``__table_args__``."""

    customer_id: Mapped[CustomerRef] = mapped_column(sort_order=-1)
    balance_minor: Mapped[int] = mapped_column(default=0)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("tenant_id", "customer_id"),
                CheckConstraint("balance_minor >= 0", name="balance_not_negative"))


class AccountMovement:
    """One line of an account's ledger: the account (of the table the class names in
    ``__account_table__``) and its customer, the ``kind`` of movement, ``amount_minor`` (signed:
    its effect on the balance), ``balance_minor`` right after it, and who (``user_email``) and
    when (``at``). The account's columns come first, who and when last, as in the migrations."""

    __account_table__: ClassVar[str]

    @declared_attr
    def account_id(cls) -> Mapped[int]:  # noqa: N805
        # a declared_attr is mapped after the plain columns: -2 keeps the account first
        return tenant_ref(cls.__account_table__, ondelete="CASCADE", index=True, sort_order=-2)

    customer_id: Mapped[int] = mapped_column(index=True, sort_order=-1)
    kind: Mapped[str] = mapped_column(String(12), sort_order=-1)
    amount_minor: Mapped[int] = mapped_column(sort_order=-1)
    balance_minor: Mapped[int] = mapped_column(sort_order=-1)
    user_email: Mapped[Email] = mapped_column(default="")
    at: Mapped[CreatedAt] = mapped_column(index=True)
