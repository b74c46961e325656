"""Customers in a file: one row per code, applied with ``upsert_customer`` (the API's own).
Parents are set in a second pass, so a parent may stand below its children in the file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.service import upsert_customer
from qudao.core.imports.rows import SKIP, Domain, ImportResult, Progress, Record, each_row
from qudao.core.inventory.models import Warehouse

COLUMNS = ("code", "name", "type", "tier", "parent", "region", "warehouse", "status")


async def apply(session: AsyncSession, recs: list[Record], result: ImportResult, *, currency: str,
                user_id: int | None, progress: Progress | None) -> None:
    existing = set((await session.scalars(select(Customer.code))).all())

    async def without_parent(number: int, rec: dict[str, str]) -> bool:
        code = rec.get("code", "")
        await upsert_customer(session, code, {k: v for k, v in rec.items() if k not in ("code", "parent") and v != ""})
        created = code not in existing
        existing.add(code)
        return created

    async def parent(number: int, rec: dict[str, str]) -> Any:
        if "parent" not in rec:
            return SKIP
        await upsert_customer(session, rec["code"], {"parent": rec["parent"]})
        return None

    await each_row(recs, result, without_parent, progress, total=2 * len(recs))
    if result.ok:
        await each_row(recs, result, parent, progress, done_before=len(recs), total=2 * len(recs))


async def export(session: AsyncSession) -> list[list[Any]]:
    tiers = dict((await session.execute(select(Tier.id, Tier.code))).all())
    whs = dict((await session.execute(select(Warehouse.id, Warehouse.code))).all())
    customers = (await session.scalars(select(Customer).order_by(Customer.code))).all()
    codes = {c.id: c.code for c in customers}
    return [[c.code, c.name, c.type, tiers.get(c.tier_id), codes.get(c.parent_id), c.region,
             whs.get(c.warehouse_id), c.status] for c in customers]


DOMAIN = Domain(
    kind="customers", columns=COLUMNS, required=("code",), key="code", apply=apply, export=export,
    example=[["D001", "华东经销商", "l1_distributor", "", "", "上海/上海/浦东", "", "active"],
             ["S001", "门店一", "store", "", "D001", "", "", "active"]],
)
