"""Tenant API: warehouses and stock."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put

from qudao.core.catalog.service import product_by_sku
from qudao.core.inventory.models import Warehouse
from qudao.core.inventory.service import (
    brand_owned,
    counts_in_transit,
    report_low_stock,
    set_on_hand,
    stock_rows,
    upsert_warehouse,
    warehouse_by_code,
)
from qudao.core.validation import Fields
from qudao.web.api.common import coded_routes, json_body, upserted
from qudao.web.context import RequestContext, require_staff

# a reseller's own warehouses are its business, not the brand's list
put_warehouse, list_warehouses = coded_routes("/warehouses", Warehouse, upsert_warehouse, "inventory", "warehouse",
                                              where=brand_owned)


@put("/warehouses/{code:str}/stock/{sku:str}", tags=["inventory"])
async def put_stock(request: Request, ctx: RequestContext, code: str, sku: str) -> Response[Any]:
    """Set the counted quantity on hand; the difference is written to the stock ledger."""
    user = require_staff(ctx, ("warehouse",))
    f = Fields(await json_body(request))
    on_hand = f.integer("on_hand", required=True, minimum=0, maximum=1_000_000_000)
    note = f.text("note", max_len=500) or ""
    f.check()
    assert on_hand is not None
    wh = await warehouse_by_code(ctx.session, code)
    product = await product_by_sku(ctx.session, sku)
    row, created = await set_on_hand(ctx.session, wh, product.id, on_hand, user_id=user.id, note=note)
    await report_low_stock(ctx)
    await ctx.session.commit()
    available = row.on_hand - row.reserved + (row.in_transit if counts_in_transit(ctx.tenant) else 0)
    return upserted({"warehouse": code, "sku": sku, "on_hand": row.on_hand, "reserved": row.reserved,
                     "available": available}, created)


@get("/stock/{sku:str}", tags=["inventory"])
async def get_stock(ctx: RequestContext, sku: str) -> list[dict[str, Any]]:
    require_staff(ctx)
    product = await product_by_sku(ctx.session, sku)
    return await stock_rows(ctx.session, product.id, counts_in_transit(ctx.tenant))


HANDLERS = [put_warehouse, list_warehouses, put_stock, get_stock]
