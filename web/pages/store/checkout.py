"""Storefront checkout: delivery address, requested delivery date and note, then
``core.orders.service.place_order`` — the same placement as ``POST /orders``.

Double-submit safe: the checkout page carries a fresh idempotency key, and a second post of
the same form returns the first order. The saved cart is emptied in the order's own
transaction, so a refused order keeps the cart and a placed order never leaves it full.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import get
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Response

from qudao.core.errors import InputError, Refused
from qudao.core.orders import carts
from qudao.core.orders.service import place_order
from qudao.core.plugins.host import gather_hook
from qudao.core.plugins.panels import Panel
from qudao.web.context import RequestContext
from qudao.web.pages.store.base import (
    _,
    buyer_required,
    explain,
    input_messages,
    page,
    rollback,
)
from qudao.web.pages.store.cart import quote_cart
from qudao.web.pages.store.forms import buyer_post

KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def format_address(address: Any) -> str:
    if isinstance(address, str):
        return address.strip()
    if not isinstance(address, dict):
        return ""
    keys = ("name", "contact", "phone", "province", "city", "district", "address", "line1", "line2", "detail")
    parts = [str(address[k]).strip() for k in keys if address.get(k)]
    if not parts:
        parts = [str(v).strip() for k, v in address.items() if v and k not in ("default", "id", "label")]
    return " ".join(parts)[:500]


def _addresses(ctx: RequestContext) -> list[str]:
    raw = (ctx.customer.addresses if ctx.customer is not None else None) or []
    return [a for a in (format_address(x) for x in raw) if a]


def _today(ctx: RequestContext) -> date:
    return datetime.now(ZoneInfo(ctx.tenant.timezone)).date()


# Quote/order options a plugin's checkout panel may set (query on GET, form field on POST).
CHECKOUT_OPTIONS = ("use_rebate",)


def checkout_options(source: Any) -> dict[str, Any]:
    """``use_rebate=1`` (ticked) → ``{"use_rebate": True}``; anything else is left out."""
    return {name: True for name in CHECKOUT_OPTIONS if str(source.get(name) or "") in ("1", "on", "true")}


async def _checkout_page(ctx: RequestContext, *, form: dict[str, Any] | None = None, errors: list[str] | None = None,
                         status_code: int = 200, key: str | None = None,
                         options: dict[str, Any] | None = None) -> Response[Any]:
    options = options if options is not None else checkout_options(form or {})
    data = await quote_cart(ctx, options)
    if data["empty"]:
        return Redirect(f"/t/{ctx.tenant.slug}/cart")
    addresses = _addresses(ctx)
    form = form or {"address_choice": "0" if addresses else "new"}
    today = _today(ctx)
    panels = []
    if data["quote"] is not None:
        for items in await gather_hook(ctx.hooks.qudao_checkout_panels, ctx=ctx, cart=data["quote"]):
            panels.extend(p for p in items or [] if isinstance(p, Panel))
    return await page(ctx, "store/checkout.html", status_code=status_code, form=form, errors=errors or [],
                      addresses=addresses, key=key or secrets.token_urlsafe(24), today=today.isoformat(),
                      max_date=(today + timedelta(days=365)).isoformat(), checkout_panels=panels,
                      options=options, **data)


@get("/checkout")
async def checkout_form(ctx: RequestContext, use_rebate: str | None = None) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    return await _checkout_page(ctx, options=checkout_options({"use_rebate": use_rebate}))


def _read_form(ctx: RequestContext, form: dict[str, Any], addresses: list[str]) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    choice = str(form.get("address_choice") or "new")
    typed = str(form.get("address_text") or "").strip()
    address = ""
    if choice != "new" and choice.isdigit() and int(choice) < len(addresses):
        address = addresses[int(choice)]
    elif typed:
        address = typed
    if not address:
        errors.append(_("Choose or type a delivery address."))
    elif len(address) > 500:
        errors.append(_("The delivery address can be at most 500 characters."))
    raw_date = str(form.get("delivery_date") or "").strip()
    if raw_date:
        try:
            wanted = date.fromisoformat(raw_date)
        except ValueError:
            errors.append(_("The delivery date must be a date like 2026-12-31."))
        else:
            today = _today(ctx)
            if wanted < today:
                errors.append(_("The delivery date cannot be in the past."))
            elif wanted > today + timedelta(days=365):
                errors.append(_("The delivery date can be at most one year ahead."))
    note = str(form.get("note") or "").strip()
    if len(note) > 1000:
        errors.append(_("The note can be at most 1000 characters."))
    body = {"delivery_address": address or None, "delivery_date": raw_date or None, "note": note or None}
    return body, errors


@buyer_post("/checkout")
async def checkout(ctx: RequestContext, raw: FormMultiDict) -> Response[Any]:
    assert ctx.user is not None
    form = {k: v for k, v in raw.items() if k != "_csrf_token" and isinstance(v, str)}
    key = str(form.get("idempotency_key") or "")
    if not key or len(key) > 100 or not set(key) <= KEY_CHARS:
        # a form without its key (or a tampered one): show the page again with a fresh key
        return await _checkout_page(ctx, form=form, status_code=422,
                                    errors=[_("The form expired; please check it and order again.")])
    body, errors = _read_form(ctx, form, _addresses(ctx))
    if errors:
        return await _checkout_page(ctx, form=form, errors=errors, status_code=422, key=key)
    lines = await carts.cart_lines(ctx.session, ctx.user.id)
    if not lines:
        from qudao.core.orders.service import find_idempotent

        done = await find_idempotent(ctx, f"page:{key}")
        if done is not None:  # the same form posted twice: the first post placed it
            return Redirect(f"/t/{ctx.tenant.slug}/orders/{done.number}", status_code=303)
        return Redirect(f"/t/{ctx.tenant.slug}/cart", status_code=303)
    body["lines"] = lines
    body["coupon"] = await carts.get_coupon(ctx.session, ctx.user.id)
    body.update(checkout_options(form))
    # empty the saved cart in the order's transaction: committed only with the order
    await carts.clear(ctx.session, ctx.user.id)
    try:
        order, _created = await place_order(ctx, body, f"page:{key}")
    except InputError as exc:
        await rollback(ctx)
        return await _checkout_page(ctx, form=form, errors=input_messages(exc.errors), status_code=422, key=key)
    except Refused as exc:
        await rollback(ctx)
        data = await quote_cart(ctx)
        quote = data["quote"]
        names = {r["sku"]: r["name"] for r in data["rows"]}
        words = [explain(ctx, v, subtotal=quote.subtotal if quote else None, qty=quote.qty if quote else None,
                         names=names) for v in exc.violations]
        return await _checkout_page(ctx, form=form, errors=[_("The order was not placed:"), *words],
                                    status_code=422, key=key)
    if ctx.session.in_transaction():
        await ctx.session.commit()  # a repeated key returns the first order without committing
    return Redirect(f"/t/{ctx.tenant.slug}/orders/{order.number}?placed=1", status_code=303)


HANDLERS = [checkout_form, checkout]
