"""Pages: the buyer's "suggested for you" with one click to put it in the cart, and the staff view
of any customer's suggestion."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.customers.scope import customer_criteria
from qudao.core.errors import InputError
from qudao.core.orders import carts
from qudao.plugins.replenishment import service
from qudao.plugins.replenishment.api import customer_for
from qudao.web.context import RequestContext
from qudao.web.pages.common import buyer_page, form_data, render, staff_page


@get("/replenishment")
@buyer_page
async def suggested(ctx: RequestContext) -> Response[Any]:
    if ctx.customer is None:  # staff: the admin page
        return Redirect(f"/t/{ctx.tenant.slug}/admin/replenishment")
    plan = await service.suggest(ctx, ctx.customer)
    return render(ctx, "replenishment/suggested.html", plan=plan, errors=[])


@post("/replenishment/cart")
@buyer_page
async def fill_cart(ctx: RequestContext, request: Request) -> Response[Any]:
    """Put the suggested quantities (as shown, possibly changed by the buyer) in the cart: a product
    already there gets the suggested quantity instead of its own."""
    if ctx.customer is None or ctx.user is None:
        return Redirect(f"/t/{ctx.tenant.slug}/admin/replenishment")
    form = await form_data(request)
    plan = await service.suggest(ctx, ctx.customer)
    wanted: list[tuple[int, int]] = []
    errors = []
    for line in plan["lines"]:
        raw = str(form.get(f"qty_{line['product_id']}", line["suggested_qty"]) or "0").strip()
        try:
            qty = int(raw)
            if qty < 0:
                raise ValueError
        except ValueError:
            errors.append({"field": line["sku"], "message": "must be a whole number from 0"})
            continue
        if qty:
            wanted.append((line["product_id"], qty))
    if not errors and not wanted:
        errors.append({"field": "qty", "message": "nothing to add"})
    existing = {item.product_id for item, _p in await carts.cart_items(ctx.session, ctx.user.id)}
    try:
        if errors:
            raise InputError(errors)
        for _pid, qty in wanted:
            carts.check_qty(qty)
        await carts.add_items(ctx.session, ctx.user.id, [(pid, q) for pid, q in wanted if pid not in existing])
        for pid, qty in wanted:
            if pid in existing:
                await carts.set_qty(ctx.session, ctx.user.id, pid, qty)
    except InputError as exc:
        return render(ctx, "replenishment/suggested.html", status_code=422, plan=plan, errors=exc.errors)
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/cart")


@get("/admin/replenishment")
@staff_page()
async def admin_page(ctx: RequestContext, customer: str | None = None) -> Response[Any]:
    customers = (await ctx.session.execute(select(Customer.code, Customer.name).where(*customer_criteria(ctx))
                                           .order_by(Customer.code).limit(2000))).all()
    plan = await service.suggest(ctx, await customer_for(ctx, customer)) if customer else None
    return render(ctx, "replenishment/admin.html", plan=plan, customers=customers, chosen=customer or "")


HANDLERS = [suggested, fill_cart, admin_page]
