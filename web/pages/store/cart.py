"""Storefront cart: the buyer's saved cart with a live quote, quick order (pasted lines or
an .xlsx file) and reorder from a past order.

The quote is ``core.orders.checkout.build_cart`` — the code that places the order — so
what the cart shows is what the order will be.
"""

from __future__ import annotations

import io
import re
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.response import Response
from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.errors import InputError, Refused
from qudao.core.inventory.service import availability, counts_in_transit
from qudao.core.orders import carts
from qudao.core.orders.cart import Cart
from qudao.core.orders.checkout import MAX_LINES, build_cart, visible_products
from qudao.core.orders.models import OrderLine
from qudao.core.orders.service import order_for
from qudao.core.pricing.engine import resolve_prices
from qudao.web.context import RequestContext
from qudao.web.pages.store.base import (
    _,
    buyer_required,
    explain,
    hx,
    hx_redirect,
    input_messages,
    ordering_rules,
    page,
    parse_qty,
    rollback,
)
from qudao.web.pages.store.forms import buyer_post

MAX_UPLOAD = 2 * 1024 * 1024
SPLIT = re.compile(r"[\t,，;；\s]+")


async def quote_cart(ctx: RequestContext, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The saved cart, priced by the checkout pipeline, ready for the cart and checkout pages.

    ``options`` are extra body fields of the quote (the checkout page's ``use_rebate``)."""
    assert ctx.user is not None
    items = await carts.cart_items(ctx.session, ctx.user.id)
    coupon = await carts.get_coupon(ctx.session, ctx.user.id)
    quote: Cart | None = None
    problems: list[str] = []
    if items:
        try:
            quote = await build_cart(ctx, {**(options or {}),
                                           "lines": [{"sku": p.sku, "qty": i.qty} for i, p in items],
                                           "coupon": coupon})
        except InputError as exc:
            problems = input_messages(exc.errors)
    names = {p.sku: p.name for _i, p in items}
    if quote is not None:
        names.update({line.sku: line.product.name for line in quote.lines})
    avail = await availability(ctx.session, quote.warehouse_id if quote else None, [p.id for _i, p in items],
                               counts_in_transit(ctx.tenant))
    by_sku = {line.sku: line for line in quote.bought_lines} if quote else {}
    rows = []
    for item, product in items:
        line = by_sku.get(product.sku)
        rows.append({"sku": product.sku, "name": product.name, "spec": product.spec, "unit": product.unit,
                     "images": product.images, "qty": item.qty, "line": line,
                     "available": avail.get(product.id, 0), "orderable": line is not None})
    violations = []
    if quote is not None:
        violations = [explain(ctx, v.as_dict(), subtotal=quote.subtotal, qty=quote.qty, names=names)
                      for v in quote.violations]
    warnings = [explain(ctx, w.as_dict(), names=names) for w in quote.warnings] if quote else []
    return {"rows": rows, "quote": quote, "violations": problems + violations, "warnings": warnings,
            "coupon": coupon,
            "gifts": [line for line in quote.lines if line.gift] if quote else [],
            "rules": ordering_rules(ctx), "empty": not items}


async def _cart_page(ctx: RequestContext, *, flash: str | None = None, flash_kind: str = "ok",
                     status_code: int = 200, **extra: Any) -> Response[Any]:
    data = await quote_cart(ctx)
    # the message is shown inside #cart, so HTMX updates (which swap only #cart) show it too
    return await page(ctx, "store/cart.html", status_code=status_code, notice=flash, notice_kind=flash_kind,
                      **data, **extra)


@get("/cart")
async def cart_page(ctx: RequestContext) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    return await _cart_page(ctx)


@post("/cart/items/{sku:str}", status_code=200)
async def update_item(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    """Change one line's quantity (``qty``), or remove it (``remove``). HTMX swaps #cart."""
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    assert ctx.user is not None
    form = await request.form()
    product = await ctx.session.scalar(select(Product).where(Product.sku == sku))
    flash, kind, status = None, "ok", 200
    if product is None:
        flash, kind, status = _("This product is not in your cart."), "error", 404
    elif form.get("remove"):
        await carts.set_qty(ctx.session, ctx.user.id, product.id, 0)
        await ctx.session.commit()
        flash = _("Removed %(name)s from the cart.", name=product.name)
    else:
        try:
            qty = parse_qty(form.get("qty"))
        except ValueError as exc:
            flash, kind, status = _("%(name)s: %(error)s", name=product.name, error=str(exc)), "error", 422
        else:
            if await carts.set_qty(ctx.session, ctx.user.id, product.id, qty):
                await ctx.session.commit()
            else:
                flash, kind, status = _("This product is not in your cart."), "error", 404
    # HTMX only swaps 2xx answers: keep 200 there and show the message in the cart.
    return await _cart_page(ctx, flash=flash, flash_kind=kind, status_code=200 if hx(ctx) else status)


@buyer_post("/cart/coupon")
async def cart_coupon(ctx: RequestContext, form: FormMultiDict) -> Response[Any]:
    """Apply (or with ``remove``, drop) a coupon code; the promotions pipeline judges it in the quote."""
    assert ctx.user is not None
    code = None if form.get("remove") else str(form.get("coupon") or "").strip()
    if code and len(code) > 64:
        return await _cart_page(ctx, flash=_("A coupon code has at most 64 characters."), flash_kind="error",
                                status_code=200 if hx(ctx) else 422)
    await carts.set_coupon(ctx.session, ctx.user.id, code or None)
    await ctx.session.commit()
    return await _cart_page(ctx, flash=_("Coupon removed.") if not code else None)


@post("/cart/clear", status_code=200)
async def clear_cart(ctx: RequestContext) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    assert ctx.user is not None
    await carts.clear(ctx.session, ctx.user.id)
    await ctx.session.commit()
    return await _cart_page(ctx, flash=_("Your cart is empty now."))


# --- quick order -------------------------------------------------------------------------


def parse_pasted(text: str) -> tuple[list[tuple[int, str, str]], list[str]]:
    """'SKU qty' per line (tabs, commas, spaces); returns (line no, sku, raw qty) and errors."""
    rows, errors = [], []
    lines = text.splitlines()
    for no, raw in enumerate(lines, start=1):
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        parts = [p for p in SPLIT.split(raw) if p]
        if len(parts) == 1:
            errors.append(_("Line %(no)s: add a quantity after the SKU, like “%(sku)s 10”.", no=no, sku=parts[0]))
            continue
        if len(parts) > 2:
            errors.append(_("Line %(no)s: write one SKU and one quantity, like “ABC-1 10”.", no=no))
            continue
        rows.append((no, parts[0], parts[1]))
    return rows, errors


def parse_xlsx(data: bytes) -> tuple[list[tuple[int, str, str]], list[str]]:
    """Rows of an .xlsx file: a header row naming SKU and quantity columns, else columns A and B."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        return [], [_("This file is not an Excel .xlsx file; save it as .xlsx and try again.")]
    try:
        ws = wb.worksheets[0]
        values = list(ws.iter_rows(max_row=MAX_LINES + 2, max_col=20, values_only=True))
    finally:
        wb.close()
    sku_col, qty_col, start = 0, 1, 0
    if values:
        header = [str(v or "").strip().lower() for v in values[0]]
        sku_names = {"sku", "code", "item", "编码", "商品编码", "货号", "sku编码"}
        qty_names = {"qty", "quantity", "数量", "订购数量", "订货数量"}
        if any(h in sku_names for h in header) or any(h in qty_names for h in header):
            start = 1
            sku_col = next((i for i, h in enumerate(header) if h in sku_names), 0)
            qty_col = next((i for i, h in enumerate(header) if h in qty_names), 1)
    rows, errors = [], []
    for no, row in enumerate(values[start:], start=start + 1):
        cells = list(row) + [None, None]
        sku = cells[sku_col]
        qty = cells[qty_col]
        if (sku is None or str(sku).strip() == "") and (qty is None or str(qty).strip() == ""):
            continue
        if sku is None or str(sku).strip() == "":
            errors.append(_("Row %(no)s: the SKU is missing.", no=no))
            continue
        if isinstance(qty, float) and qty.is_integer():
            qty = int(qty)
        rows.append((no, str(sku).strip(), "" if qty is None else str(qty)))
    if not rows and not errors:
        errors.append(_("The file has no rows with a SKU and a quantity."))
    return rows, errors


async def validate_rows(ctx: RequestContext, rows: list[tuple[int, str, str]], label: str,
                        errors: list[str]) -> list[tuple[int, int]]:
    """Check quantities and SKUs line by line; returns (product id, qty) when all are good."""
    if len(rows) > MAX_LINES:
        errors.append(_("At most %(n)s lines at a time.", n=MAX_LINES))
        return []
    products = await visible_products(ctx, list({sku for _no, sku, _q in rows}))
    prices = await resolve_prices(ctx.session, list(products.values()), customer=ctx.customer,
                                  currency=ctx.tenant.currency)
    out = []
    for no, sku, raw_qty in rows:
        product = products.get(sku)
        if product is None or prices.get(product.id) is None:
            errors.append(_("%(label)s %(no)s: unknown SKU “%(sku)s”.", label=label, no=no, sku=sku))
            continue
        try:
            qty = parse_qty(raw_qty)
        except ValueError as exc:
            errors.append(_("%(label)s %(no)s (%(sku)s): %(error)s", label=label, no=no, sku=sku, error=str(exc)))
            continue
        out.append((product.id, qty))
    return out


@get("/quick-order")
async def quick_order_form(ctx: RequestContext) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    return await page(ctx, "store/quick_order.html", text="", errors=[])


@buyer_post("/quick-order")
async def quick_order(ctx: RequestContext, form: FormMultiDict) -> Response[Any]:
    """Paste lines or upload .xlsx: every line is checked; any error adds nothing."""
    assert ctx.user is not None
    text = str(form.get("lines") or "")
    upload = form.get("file")
    errors: list[str] = []
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            rows, errors = [], [_("The file is too large (at most 2 MB).")]
        else:
            rows, errors = parse_xlsx(data)
        label = _("Row")
    else:
        if len(text) > 100_000:
            rows, errors = [], [_("Too much text; paste at most %(n)s lines.", n=MAX_LINES)]
        else:
            rows, errors = parse_pasted(text)
        label = _("Line")
    if not rows and not errors:
        errors.append(_("Paste at least one line like “ABC-1 10”, or choose an .xlsx file."))
    items = await validate_rows(ctx, rows, label, errors) if rows else []
    if not errors:
        try:
            await carts.add_items(ctx.session, ctx.user.id, items)
            await ctx.session.commit()
        except InputError as exc:
            await rollback(ctx)
            errors = input_messages(exc.errors)
    if errors:
        return await page(ctx, "store/quick_order.html", status_code=200 if hx(ctx) else 422, text=text,
                          errors=errors)
    return await _cart_page(ctx, flash=_("Added %(n)s products to your cart.", n=len({p for p, _q in items})))


@post("/orders/{number:str}/reorder", status_code=200)
async def reorder(ctx: RequestContext, number: str) -> Response[Any]:
    """Put the bought (not gift) lines of a past order back in the cart."""
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    assert ctx.user is not None
    order = await order_for(ctx, number)
    lines = (await ctx.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id,
                                                               OrderLine.gift.is_(False))
                                       .order_by(OrderLine.line_no))).all()
    visible = await visible_products(ctx, [ln.sku for ln in lines])
    items = [(visible[ln.sku].id, ln.qty) for ln in lines if ln.sku in visible]
    skipped = [ln.name for ln in lines if ln.sku not in visible]
    try:
        await carts.add_items(ctx.session, ctx.user.id, items)
        await ctx.session.commit()
    except InputError as exc:
        await rollback(ctx)
        raise Refused([{"code": "cart", "message": "; ".join(input_messages(exc.errors))}]) from None
    message = _("Added %(n)s products from order %(number)s to your cart.", n=len(items), number=number)
    if skipped:
        message += " " + _("Not available any more: %(names)s.", names=", ".join(skipped))
    if hx(ctx):
        return hx_redirect(ctx, f"/t/{ctx.tenant.slug}/cart")
    return await _cart_page(ctx, flash=message, flash_kind="ok" if not skipped else "error")


HANDLERS = [cart_page, update_item, cart_coupon, clear_cart, quick_order_form, quick_order, reorder]
