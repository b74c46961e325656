"""Promotions pages: admin list/report, create/edit/pause, a price simulator; the buyer's list.

Forms go through the same validation as the API (``editing.upsert``), which checks
everything before it writes, so an error re-renders the form in the same session.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError, NotFound
from qudao.plugins.promotions import editing, offers, views
from qudao.plugins.promotions import rules as R
from qudao.plugins.promotions.models import Promotion
from qudao.web.context import RequestContext
from qudao.web.pages.common import buyer_page, render, staff_page

LIST_FIELDS = ("tiers", "customers", "customer_types", "regions", "groups")
TEXT_FIELDS = ("name", "kind", "threshold", "amount", "percent", "sku", "price", "gift_sku", "gift_qty", "buy_qty",
               "coupon", "uses_limit", "uses_per_customer", "limit_per_order", "limit_per_customer", "group",
               "priority", "starts_at", "ends_at")
CHECKBOXES = ("repeat", "active", "lock_qty")
FLASHES = {"saved": "Promotion saved.", "paused": "Promotion paused.", "resumed": "Promotion resumed."}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    out: dict[str, str] = {}
    for key in form:
        if key == "_csrf_token":
            continue
        values = form.getall(key)
        out[key] = str(values[-1]) if values else ""
    return out


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，;；]+", text or "") if part]


def form_to_body(form: dict[str, str]) -> dict[str, Any]:
    """Form fields -> the API's body (empty = not given; lists comma separated; items one per line)."""
    body: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = (form.get(name) or "").strip()
        if value:
            body[name] = value
    for name in LIST_FIELDS:
        if (form.get(name) or "").strip():
            body[name] = _split(form[name])
    for name in CHECKBOXES:
        if name in form:
            body[name] = form[name] in ("true", "on", "1")
    items = (form.get("items") or "").strip()
    if items:
        parsed: list[dict[str, Any]] = []
        for row in items.splitlines():
            parts = _split(row.replace("×", " ").replace("*", " ").replace("x ", " "))
            if not parts:
                continue
            parsed.append({"sku": parts[0], "qty": parts[1] if len(parts) > 1 else 1})
        body["items"] = parsed
    return body


def body_to_form(view: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """A stored promotion (its API view) -> form values."""
    values: dict[str, Any] = {k: ("" if view.get(k) is None else view.get(k)) for k in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = ", ".join(view.get(name) or [])
    values["items"] = "\n".join(f"{i['sku']} {i['qty']}" for i in view.get("items") or [])
    values["repeat"] = bool(view.get("repeat"))
    values["active"] = bool(view.get("active"))
    values["lock_qty"] = bool(view.get("lock_qty"))
    for name in ("starts_at", "ends_at"):
        values[name] = (view.get(name) or "")[:16]  # local time, as datetime-local wants it
    return values


def _checked(form: dict[str, str]) -> dict[str, Any]:
    """Form values to show again after an error (checkboxes as booleans)."""
    return {**form, **{name: form.get(name) == "true" for name in CHECKBOXES}}


def _admin_url(ctx: RequestContext, path: str = "") -> str:
    return f"/t/{ctx.tenant.slug}/admin/promotions{path}"


@get("/admin/promotions")
@staff_page()
async def promotions_list(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    rows = await views.views(ctx, await views.list_promotions(ctx))
    return render(ctx, "promotions/list.html", rows=rows, flash=FLASHES.get(done or ""), flash_kind="ok")


async def _edit_page(ctx: RequestContext, *, code: str | None, values: dict[str, Any],
                     errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response[Any]:
    return render(ctx, "promotions/form.html", status_code=status_code, code=code, values=values,
                  errors=errors or [], kinds=R.KINDS)


@get("/admin/promotions/new")
@staff_page()
async def promotion_new(ctx: RequestContext) -> Response[Any]:
    return await _edit_page(ctx, code=None, values={"kind": R.KIND_THRESHOLD_AMOUNT, "active": True, "repeat": False})


@post("/admin/promotions/new")
@staff_page()
async def promotion_create(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await _form(request)
    code = (form.get("code") or "").strip()
    values = _checked(form)
    if await views.get_by_code(ctx, code) is not None:
        return await _edit_page(ctx, code=None, values=values, status_code=422,
                                errors=[{"field": "code", "message": f"promotion '{code}' already exists"}])
    try:
        await editing.upsert(ctx, code, form_to_body(form))
    except InputError as exc:
        return await _edit_page(ctx, code=None, values=values, errors=exc.errors, status_code=422)
    await ctx.session.commit()
    return Redirect(_admin_url(ctx, "?done=saved"))


@get("/admin/promotions/simulate")
@staff_page()
async def simulator(ctx: RequestContext) -> Response[Any]:
    return render(ctx, "promotions/simulate.html", customers=await _customers(ctx), values={}, result=None,
                  errors=[])


@post("/admin/promotions/simulate")
@staff_page()
async def simulate(ctx: RequestContext, request: Request) -> Response[Any]:
    """Price a cart as a chosen customer would see it (nothing is stored)."""
    from qudao.core.orders.checkout import build_cart

    form = await _form(request)
    customers = await _customers(ctx)
    errors: list[dict[str, str]] = []
    customer = None
    code = (form.get("customer") or "").strip()
    if code:
        customer = next((c for c in customers if c.code == code), None)
        if customer is None:
            errors.append({"field": "customer", "message": f"no customer '{code}'"})
    lines: list[dict[str, Any]] = []
    for i, row in enumerate((form.get("lines") or "").splitlines()):
        parts = _split(row.replace("×", " ").replace("*", " "))
        if not parts:
            continue
        qty = parts[1] if len(parts) > 1 else "1"
        if not qty.isdigit():
            errors.append({"field": f"lines[{i}]", "message": "write one 'SKU quantity' per line"})
            continue
        lines.append({"sku": parts[0], "qty": int(qty)})
    result = None
    if not errors:
        as_buyer = dataclasses.replace(ctx, customer=customer, user=None)
        as_buyer.request = ctx.request
        try:
            cart = await build_cart(as_buyer, {"lines": lines, "coupon": (form.get("coupon") or "").strip() or None})
            result = cart.as_quote()
        except InputError as exc:
            errors.extend(exc.errors)
    return render(ctx, "promotions/simulate.html", status_code=422 if errors else 200, customers=customers,
                  values=form, result=result, errors=errors)


async def _promotion(ctx: RequestContext, code: str) -> Promotion:
    promo = await views.get_by_code(ctx, code)
    if promo is None:
        raise NotFound(f"no promotion '{code}'")
    return promo


@get("/admin/promotions/{code:str}")
@staff_page()
async def promotion_edit(ctx: RequestContext, code: str) -> Response[Any]:
    view = (await views.views(ctx, [await _promotion(ctx, code)]))[0]
    return await _edit_page(ctx, code=code, values=body_to_form(view, ctx))


@post("/admin/promotions/{code:str}")
@staff_page()
async def promotion_save(ctx: RequestContext, request: Request, code: str) -> Response[Any]:
    await _promotion(ctx, code)
    form = await _form(request)
    try:
        await editing.upsert(ctx, code, form_to_body(form))
    except InputError as exc:
        values = _checked(form)
        return await _edit_page(ctx, code=code, values=values, errors=exc.errors, status_code=422)
    await ctx.session.commit()
    return Redirect(_admin_url(ctx, "?done=saved"))


@post("/admin/promotions/{code:str}/toggle")
@staff_page()
async def promotion_toggle(ctx: RequestContext, code: str) -> Response[Any]:
    """Pause or resume."""
    promo = await _promotion(ctx, code)
    await editing.set_active(ctx, promo, not promo.active)
    done = "resumed" if promo.active else "paused"
    await ctx.session.commit()
    return Redirect(_admin_url(ctx, f"?done={done}#promo-{quote(code, safe='')}"))


async def _customers(ctx: RequestContext) -> list[Customer]:
    return list((await ctx.session.scalars(select(Customer).order_by(Customer.code).limit(2000))).all())


@get("/promotions")
@buyer_page
async def store_promotions(ctx: RequestContext) -> Response[Any]:
    """The buyer's running promotions (coupons stay private until entered)."""
    promos = [p for p in await offers.eligible(ctx, ctx.customer) if p.coupon_key is None]
    rows = await views.views(ctx, promos)
    return render(ctx, "promotions/store.html", rows=rows)


HANDLERS = [promotions_list, promotion_new, promotion_create, simulator, simulate, promotion_edit, promotion_save,
            promotion_toggle, store_promotions]
