"""Admin: stock per product and warehouse, adjustments, ledger, low stock, stocktakes, warehouses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.response import Response
from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Product
from qudao.core.catalog.service import search_filter
from qudao.core.errors import InputError, QudaoError
from qudao.core.inventory.models import Stock, Warehouse
from qudao.core.inventory.service import (
    available_expr,
    brand_owned,
    counts_in_transit,
    report_low_stock,
    upsert_warehouse,
)
from qudao.core.inventory.stocktake import (
    adjust_on_hand,
    count_sheet,
    ledger,
    low_stock,
    move_stock,
    post_stocktake,
    set_low_threshold,
)
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, checkbox, nul_free, page, read_form, recover, say
from qudao.web.pages.admin.crud import LIST_QUERY, CodedRecords, ListQuery, product_change, product_page
from qudao.web.pages.common import staff_page

WAREHOUSE_ROLES = ("warehouse",)


WAREHOUSES = CodedRecords(Warehouse, "warehouse", "admin/warehouse_form.html", "wh", "/warehouses",
                          N_("Saved warehouse %(code)s"), upsert_warehouse)


async def _warehouses(ctx: RequestContext) -> list[Warehouse]:
    return [w for w in await WAREHOUSES.all(ctx) if w.owner_customer_id is None]  # distributors' are theirs


@get("/admin/stock", dependencies=LIST_QUERY)
@staff_page()
async def stock_list(ctx: RequestContext, listing: ListQuery, warehouse: str | None = None) -> Response[Any]:
    warehouse = nul_free(warehouse)
    avail = available_expr(counts_in_transit(ctx.tenant))
    stmt = (select(Product.sku, Product.name, Warehouse.code, Stock.on_hand, Stock.reserved, Stock.in_transit,
                   avail.label("available"), Stock.low_threshold)
            .join(Product, (Product.id == Stock.product_id) & (Product.tenant_id == Stock.tenant_id))
            .join(Warehouse, (Warehouse.id == Stock.warehouse_id) & (Warehouse.tenant_id == Stock.tenant_id))
            .where(brand_owned()))
    if listing.q and listing.q.strip():
        stmt = stmt.where(search_filter(listing.q))
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    found = await listing.fetch(ctx, stmt, {"sku": Product.sku, "name": Product.name, "on_hand": Stock.on_hand,
                                            "available": avail}, "sku", Warehouse.code)
    return page(ctx, "admin/stock.html", **found, warehouse=warehouse or "", warehouses=await _warehouses(ctx),
                in_transit_counts=counts_in_transit(ctx.tenant))


async def _product_stock(ctx: RequestContext, product: Product) -> dict[str, Any]:
    cit = counts_in_transit(ctx.tenant)
    rows = (await ctx.session.execute(
        select(Warehouse, Stock).outerjoin(
            Stock, (Stock.warehouse_id == Warehouse.id) & (Stock.tenant_id == Warehouse.tenant_id)
            & (Stock.product_id == product.id)).where(brand_owned()).order_by(Warehouse.code))).all()
    levels = []
    for wh, st in rows:
        on_hand, reserved, transit = (st.on_hand, st.reserved, st.in_transit) if st else (0, 0, 0)
        levels.append({"warehouse": wh, "on_hand": on_hand, "reserved": reserved, "in_transit": transit,
                       "available": on_hand - reserved + (transit if cit else 0),
                       "low_threshold": st.low_threshold if st else None})
    moves = await ledger(ctx.session, product.id)
    users = {}
    ids = {m.user_id for m, _ in moves if m.user_id}
    if ids:
        users = dict((await ctx.session.execute(select(User.id, User.email).where(User.id.in_(ids)))).all())
    return {"product": product, "levels": levels, "moves": moves, "users": users}


@get("/admin/stock/product/{sku:str}")
@staff_page()
async def product_stock(ctx: RequestContext, sku: str) -> Response[Any]:
    return await product_page(ctx, sku, "admin/product_stock.html", _product_stock)


async def _stock_change(ctx: RequestContext, request: Request, sku: str, form_key: str,
                        change: Callable[[dict[str, Any], int], Awaitable[str]], *,
                        report_low: bool = True) -> Response[Any]:
    """Run one stock change from a form in one transaction; a refusal re-renders the product's
    stock page with the errors next to the form (``form_key``) that was sent."""
    async def changed(form: dict[str, str], user_id: int) -> str:
        message = await change(form, user_id)
        if report_low:
            await report_low_stock(ctx)
        return message

    async def refused(exc: QudaoError, form: dict[str, str]) -> Response[Any]:
        if not isinstance(exc, InputError):
            raise exc
        return await product_page(ctx, sku, "admin/product_stock.html", _product_stock, status_code=422,
                                  errors=exc.errors, **{form_key: form})

    return await product_change(ctx, request, sku, changed, refused, f"/stock/product/{sku}", WAREHOUSE_ROLES)


@post("/admin/stock/product/{sku:str}/set")
async def product_stock_set(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    """Set the counted quantity on hand; the difference goes to the ledger with the reason."""
    async def change(form: dict[str, Any], user_id: int) -> str:
        _, delta = await adjust_on_hand(ctx.session, sku, form, user_id=user_id)
        return say(ctx, N_("On hand set (%(delta)s)"), delta=f"{delta:+d}")

    return await _stock_change(ctx, request, sku, "form", change)


@post("/admin/stock/product/{sku:str}/threshold")
async def product_stock_threshold(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    async def change(form: dict[str, Any], user_id: int) -> str:
        await set_low_threshold(ctx.session, sku, form)
        return say(ctx, N_("Low-stock threshold saved"))

    return await _stock_change(ctx, request, sku, "tform", change, report_low=False)


@post("/admin/stock/product/{sku:str}/move")
async def product_stock_move(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    """Receipt, incoming (in transit), arrival or transfer between warehouses."""
    async def change(form: dict[str, Any], user_id: int) -> str:
        kind = await move_stock(ctx.session, sku, form, user_id=user_id)
        return say(ctx, N_("Stock movement recorded: %(kind)s"), kind=kind)

    return await _stock_change(ctx, request, sku, "mform", change)


@get("/admin/stock/low")
@staff_page()
async def stock_low(ctx: RequestContext) -> Response[Any]:
    rows = await low_stock(ctx.session, counts_in_transit(ctx.tenant))
    return page(ctx, "admin/stock_low.html", rows=rows)


@get("/admin/stock/stocktake")
@staff_page()
async def stocktake(ctx: RequestContext, warehouse: str | None = None, blind: str | None = None) -> Response[Any]:
    warehouse, blind = nul_free(warehouse), nul_free(blind)
    warehouses = await _warehouses(ctx)
    wh, rows = (None, [])
    if warehouse:
        wh, rows = await count_sheet(ctx.session, warehouse)
    return page(ctx, "admin/stocktake.html", warehouses=warehouses, wh=wh, rows=rows, blind=bool(blind),
                counts={})


@post("/admin/stock/stocktake")
@staff_page(WAREHOUSE_ROLES)
async def stocktake_post(ctx: RequestContext, request: Request) -> Response[Any]:
    assert ctx.user is not None
    form = await read_form(request)
    code = form.get("warehouse", "")
    counts = {k[6:-1]: v for k, v in form.items() if k.startswith("count[") and k.endswith("]")}
    try:
        variances = await post_stocktake(ctx.session, code, counts, user_id=ctx.user.id,
                                         note=(form.get("note") or "stocktake")[:500])
        await report_low_stock(ctx)
        await ctx.session.commit()
    except QudaoError as exc:
        await recover(ctx)
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "warehouse", "message": exc.detail}]
        wh, rows = (None, [])
        if isinstance(exc, InputError):
            wh, rows = await count_sheet(ctx.session, code)
        return page(ctx, "admin/stocktake.html", status_code=422, warehouses=await _warehouses(ctx), wh=wh,
                    rows=rows, blind=checkbox(form, "blind"), counts=counts, errors=errors,
                    flash=say(ctx, N_("Nothing was posted: fix the marked rows.")), flash_kind="error")
    summary = ", ".join(f"{sku} {d:+d}" for sku, d in variances) or say(ctx, N_("no differences"))
    return back(ctx, "/stock", say(ctx, N_("Stocktake posted: %(summary)s"), summary=summary)[:300], warehouse=code)


@get("/admin/warehouses")
@staff_page()
async def warehouse_list(ctx: RequestContext) -> Response[Any]:
    return page(ctx, "admin/warehouses.html", warehouses=await _warehouses(ctx))


HANDLERS = [stock_list, product_stock, product_stock_set, product_stock_threshold, product_stock_move, stock_low, stocktake,
            stocktake_post, warehouse_list, *WAREHOUSES.handlers("/admin/warehouses", WAREHOUSE_ROLES)]
