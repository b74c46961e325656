"""Helpers shared by the storefront pages (no routes here).

Messages built in Python go through ``_`` (gettext in the request's locale), so buyers
read refusals and form errors in words, in their language.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from litestar.response import Redirect, Response, Template

from qudao.core.errors import Forbidden
from qudao.web import i18n
from qudao.web.context import RequestContext
from qudao.web.pages.common import locale_for, login_redirect, render


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (Babel's default keywords include N_); translated when shown."""
    return msgid


SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "HKD": "HK$", "TWD": "NT$", "KRW": "₩"}
PRICE_SOURCES = {"customer": N_("Your price"), "tier": N_("Tier price"), "base": N_("List price"),
                 "retail": N_("Retail price"), "manual": N_("Set by staff"),
                 "reseller": N_("Distributor's price"), "reseller:tier": N_("Distributor's tier price"),
                 "reseller:customer": N_("Distributor's price for you")}
STATUS_LABELS = {
    "submitted": N_("Submitted"), "approved": N_("Approved"), "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"), "in_production": N_("In production"), "picking": N_("Picking"),
    "shipped": N_("Shipped"), "delivered": N_("Delivered"), "received": N_("Received"),
    "edited": N_("Edited"),
}
QTY_RE = re.compile(r"^\s*[+]?\d+\s*$")


def use_locale(ctx: RequestContext) -> None:
    assert ctx.request is not None
    i18n.set_locale(locale_for(ctx.request, ctx))


def _(msgid: str, **kw: Any) -> str:
    text = i18n.gettext_(msgid)
    return text % kw if kw else text


def money(amount: Any, currency: str = "CNY") -> str:
    """Money in the reader's locale (Babel): ¥4,622.40 in Chinese, CN¥4,622.40 in English."""
    return i18n.format_money(amount, currency)


def local_time(ctx: RequestContext, at: datetime | str | None) -> str:
    if at is None:
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(ZoneInfo(ctx.tenant.timezone)).strftime("%Y-%m-%d %H:%M")


def parse_qty(raw: Any) -> int:
    """A quantity typed by a buyer: a whole number from 1 to MAX_QTY, else a ValueError in words."""
    from qudao.core.orders.checkout import MAX_QTY

    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValueError(_("Enter a quantity."))
    if not QTY_RE.match(text):
        raise ValueError(_("The quantity must be a whole number, like 1, 2 or 10."))
    qty = int(text)
    if qty < 1:
        raise ValueError(_("The quantity must be at least 1."))
    if qty > MAX_QTY:
        raise ValueError(_("The quantity can be at most %(max)s.", max=MAX_QTY))
    return qty


def buyer_required(ctx: RequestContext) -> Response[Any] | None:
    """Cart, checkout and order pages are for customer buyers; anonymous users sign in first.

    Sets the visitor's locale first, so the page (or the refusal) speaks their language."""
    use_locale(ctx)
    if ctx.user is None:
        if hx(ctx):  # an HTMX call after the session ended: send the whole page to the sign-in form
            current = urlsplit(ctx.request.headers.get("hx-current-url", "") if ctx.request else "").path
            target = current if current.startswith(f"/t/{ctx.tenant.slug}/") else f"/t/{ctx.tenant.slug}/"
            return Response("", status_code=200,  # type: ignore[return-value]
                            headers={"HX-Redirect": f"/t/{ctx.tenant.slug}/login?next={quote(target)}"})
        return login_redirect(ctx)
    if ctx.customer is None:
        raise Forbidden(_("This page is for buyers. Staff manage orders in the back office."))
    return None


async def page(ctx: RequestContext, template: str, status_code: int = 200, **context: Any) -> Template:
    """render() plus what every storefront page shows: the cart badge and formatting helpers."""
    from qudao.web.pages.store.bar import cart_bar

    bar = await cart_bar(ctx)
    count = bar["lines"] if bar else 0
    return render(ctx, template, status_code=status_code, cart_count=count, cart=bar, money=money,
                  currency=ctx.tenant.currency, price_source=PRICE_SOURCES, status_labels=STATUS_LABELS,
                  local_time=lambda at: local_time(ctx, at), **context)


async def rollback(ctx: RequestContext) -> None:
    """Roll back and reload what the page still shows (a rollback expires loaded rows)."""
    await ctx.session.rollback()
    for obj in (ctx.tenant, ctx.user, ctx.customer):
        if obj is not None:
            await ctx.session.refresh(obj)


def hx(ctx: RequestContext) -> bool:
    return bool(ctx.request is not None and ctx.request.headers.get("hx-request"))


def hx_redirect(ctx: RequestContext, url: str) -> Response[Any]:
    """Redirect for both HTMX (HX-Redirect) and plain form posts (303)."""
    if hx(ctx):
        return Response("", status_code=200, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)


def ordering_rules(ctx: RequestContext) -> list[str]:
    """The tenant's ordering rules in words, shown before the buyer runs into them."""
    rules = ctx.tenant.setting("ordering", default={}) or {}
    out = []
    currency = ctx.tenant.currency
    if rules.get("min_order_amount") not in (None, "", "0", "0.00"):
        out.append(_("Minimum order amount: %(amount)s", amount=money(rules["min_order_amount"], currency)))
    if rules.get("min_order_qty"):
        out.append(_("Minimum order quantity: %(qty)s items", qty=rules["min_order_qty"]))
    window = rules.get("order_window")
    if window:
        out.append(_("Orders are taken daily between %(start)s and %(end)s (%(tz)s time).",
                     start=window["start"], end=window["end"], tz=ctx.tenant.timezone))
    return out


_SKU = re.compile(r"'([^']+)'")
_STOCK = re.compile(r"Only (\d+) of '([^']+)' available; you asked for (\d+)")


def explain(ctx: RequestContext, violation: dict[str, str], *, subtotal: Decimal | None = None,
            qty: int | None = None, names: dict[str, str] | None = None) -> str:
    """A violation from the checkout pipeline in the buyer's words.

    Core codes get a translated sentence with the numbers that matter (how much more to
    add, when orders are taken, how many are in stock); plugin codes keep their message."""
    code, message = violation.get("code", ""), violation.get("message", "")
    names = names or {}
    rules = ctx.tenant.setting("ordering", default={}) or {}
    currency = ctx.tenant.currency
    sku_match = _SKU.search(message)
    sku = sku_match.group(1) if sku_match else ""
    name = names.get(sku, sku)
    if code == "min_order_amount" and rules.get("min_order_amount") is not None and subtotal is not None:
        minimum = Decimal(rules["min_order_amount"])
        return _("The minimum order is %(min)s; add %(short)s more.", min=money(minimum, currency),
                 short=money(minimum - subtotal, currency))
    if code == "min_order_qty" and rules.get("min_order_qty") and qty is not None:
        return _("The minimum order is %(min)s items; add %(short)s more.", min=rules["min_order_qty"],
                 short=int(rules["min_order_qty"]) - qty)
    if code == "outside_order_window" and rules.get("order_window"):
        w = rules["order_window"]
        return _("Orders are taken between %(start)s and %(end)s (%(tz)s time); please order then.",
                 start=w["start"], end=w["end"], tz=ctx.tenant.timezone)
    if code == "insufficient_stock":
        m = _STOCK.search(message)
        if m:
            return _("Only %(have)s of %(name)s in stock; you asked for %(qty)s.", have=m.group(1),
                     name=names.get(m.group(2), m.group(2)), qty=m.group(3))
        if sku:
            return _("Not enough %(name)s in stock; please lower the quantity.", name=name)
    if code == "unknown_product" and sku:
        return _("%(name)s is not available to you any more; remove it from the cart.", name=name)
    if code == "min_product_qty" and sku:
        m = re.search(r"at least (\d+)", message)
        return _("%(name)s is sold in quantities of at least %(n)s.", name=name, n=m.group(1) if m else "?")
    if code == "order_multiple" and sku:
        m = re.search(r"multiples of (\d+)", message)
        return _("%(name)s is sold in multiples of %(n)s.", name=name, n=m.group(1) if m else "?")
    return _(message) if message else code


def input_messages(errors: list[dict[str, str]]) -> list[str]:
    """InputError entries (field + message) in words, for the flash box."""
    labels = {"delivery_date": _("Delivery date"), "note": _("Note"), "delivery_address": _("Delivery address"),
              "qty": _("Quantity"), "lines": _("Cart"), "coupon": _("Coupon"), "Idempotency-Key": _("Form")}
    out = []
    for e in errors:
        field = e.get("field", "")
        label = labels.get(field) or labels.get(field.split("[")[0]) or field
        out.append(f"{label}: {_(e.get('message', ''))}")
    return out
