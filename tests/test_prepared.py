"""Prepared statements (core/db/prepared.py) stay inside the session's tenant.

A prepared statement is one object shared by every tenant and request of the process; the
tenant filter of an ORM one is kept per tenant, and a Core one names the tenant itself. These
tests run the same prepared objects for two tenants in turn, and with no tenant bound, on
SQLite and PostgreSQL (where RLS also applies).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import bindparam, select, text, update

from qudao.core.catalog.models import Product
from qudao.core.db.prepared import prepared, run, tenant_filtered, tenant_is
from qudao.core.db.session import Database
from qudao.core.inventory.models import Stock
from tests.conftest import TenantAPI


@prepared
def _product_by_sku() -> Any:
    return select(Product).where(Product.sku == bindparam("sku"))


@prepared
def _add_on_hand() -> Any:
    t = Stock.__table__
    return tenant_filtered(update(t).where(tenant_is(t)).values(on_hand=t.c.on_hand + bindparam("n")))


def _seed(api: TenantAPI, name: str, on_hand: int) -> None:
    api.ok("put", "/products/SAME-SKU", {"name": name, "price": "1.00"})
    api.ok("put", "/warehouses/W", {"name": "W"})
    api.ok("put", "/warehouses/W/stock/SAME-SKU", {"on_hand": on_hand})


@pytest.fixture
async def two(test_settings: Any, tenant: TenantAPI, other_tenant: TenantAPI) -> AsyncIterator[tuple[Database, int, int]]:
    """A product with the same SKU in two tenants ("Ours": 5 in stock, "Theirs": 7), a database
    handle with the app role, and the two tenants' ids."""
    _seed(tenant, "Ours", 5)
    _seed(other_tenant, "Theirs", 7)
    db = Database(test_settings.database_url, test_settings.db_app_role)
    async with db.engine.connect() as conn:
        ours, theirs = [(await conn.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": s})).scalar_one()
                        for s in (tenant.slug, other_tenant.slug)]
    yield db, ours, theirs
    await db.dispose()


async def test_one_prepared_select_answers_each_tenant_with_its_own_rows(two: tuple[Database, int, int]) -> None:
    db, ours, theirs = two
    seen = []
    for tid in (ours, theirs, ours, None):  # the same statement object, tenant after tenant
        async with db.session(tid) as session:
            rows = (await session.scalars(_product_by_sku(), {"sku": "SAME-SKU"})).all()
            seen.append([p.name for p in rows])
    assert seen == [["Ours"], ["Theirs"], ["Ours"], []]
    assert _product_by_sku() is _product_by_sku()  # built once


async def test_a_prepared_core_update_changes_only_the_bound_tenants_rows(
        two: tuple[Database, int, int], tenant: TenantAPI, other_tenant: TenantAPI) -> None:
    db, ours, _theirs = two
    async with db.session(ours) as session:
        assert (await run(session, _add_on_hand(), n=10)).rowcount == 1
        await session.commit()
    async with db.session(None) as session:  # no tenant bound: matches nothing
        assert (await run(session, _add_on_hand(), n=100)).rowcount == 0
        await session.commit()
    assert [r["on_hand"] for r in tenant.ok("get", "/stock/SAME-SKU")] == [15]
    assert [r["on_hand"] for r in other_tenant.ok("get", "/stock/SAME-SKU")] == [7]


def test_the_per_tenant_filtered_statements_are_bounded(monkeypatch: Any) -> None:
    from qudao.core.db import session as db_session

    monkeypatch.setattr(db_session, "FILTERED_MAX", 8)
    monkeypatch.setattr(db_session, "_FILTERED", type(db_session._FILTERED)())
    stmt = _product_by_sku()
    first = db_session._filtered(stmt, 1)
    assert db_session._filtered(stmt, 1) is first  # kept: no new statement, no new cache key
    for tid in range(2, 40):
        db_session._filtered(stmt, tid)
    assert len(db_session._FILTERED) == 8
    assert db_session._filtered(stmt, 1) is not first  # the least recently used went out
    key = db_session._filtered(stmt, 39)._generate_cache_key()
    assert key == db_session._filtered(stmt, 2)._generate_cache_key()  # the tenant is a bound value


def test_a_core_statement_that_does_not_name_its_tenant_is_refused_when_built() -> None:
    @prepared
    def unfiltered() -> Any:
        t = Stock.__table__
        return update(t).values(on_hand=0)  # would touch every tenant's stock on SQLite

    with pytest.raises(TypeError, match="must name its tenant"):
        unfiltered()


async def test_queued_rows_are_written_before_a_statement_that_may_need_them(two: tuple[Database, int, int]) -> None:
    """Rows queued with add_rows (core/db/rows.py) exist for any later statement of the
    transaction, an UPDATE too; one marked independent() leaves them queued for the commit."""
    from sqlalchemy import func

    from qudao.core.db.rows import add_rows, independent
    from qudao.core.inventory.models import StockMove

    db, ours, _ = two
    moves = StockMove.__table__
    count = select(func.count()).select_from(moves).where(moves.c.note == "queued-test")

    async def queue(session: Any) -> None:
        product, warehouse = (await session.execute(select(Stock.product_id, Stock.warehouse_id))).one()
        add_rows(session, StockMove, [dict(warehouse_id=warehouse, product_id=product, kind="adjustment",
                                           on_hand_delta=0, reserved_delta=0, in_transit_delta=0,
                                           note="queued-test")])

    async with db.session(ours) as session:
        await queue(session)
        touched = await run(session, independent(_add_on_hand()), n=0)  # independent: still queued
        assert touched.rowcount == 1
        assert session.sync_session.info.get("pending_rows")
        await run(session, _add_on_hand(), n=0)  # not independent: the rows are written first
        assert not session.sync_session.info.get("pending_rows")
        assert await session.scalar(count) == 1
        await session.rollback()
    async with db.session(ours) as session:
        await queue(session)
        await session.commit()  # written at commit
    async with db.session(ours) as session:
        assert await session.scalar(count) == 1
