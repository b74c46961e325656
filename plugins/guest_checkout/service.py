"""Guest visibility, rate limits, share links and guest → customer conversion."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.auth.models import User
from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.customers.models import Customer
from qudao.core.customers.service import upsert_customer
from qudao.core.db.base import utcnow
from qudao.core.errors import Conflict, InputError, NotFound
from qudao.core.money import quantize
from qudao.core.orders.models import Order
from qudao.core.plugins.context import TenantContext
from qudao.core.validation import check_code
from qudao.plugins.guest_checkout.models import Conversion, GuestAttempt, ShareLink, ShareOrder

PLUGIN = "guest_checkout"
SHARE_COOKIE = "qd_share"
SHARE_HEADER = "x-qudao-share"
SHARE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{4,32}$")


# --- what guests see ----------------------------------------------------------------


def split_codes(raw: Any) -> list[str]:
    if not raw or not isinstance(raw, str):
        return []
    return [c.strip() for c in raw.replace("，", ",").split(",") if c.strip()]


def guest_criteria(ctx: TenantContext) -> list[Any]:
    """The tenant's choice of categories and brands guests see (empty setting = all).

    A category includes its sub-categories (a recursive CTE). With both settings, a product
    must match both. Unknown codes match nothing.
    """
    settings = ctx.settings(PLUGIN)
    tid = ctx.tenant.id
    out: list[Any] = []
    categories = split_codes(settings.get("categories"))
    if categories:
        tree = (select(Category.id).where(Category.tenant_id == tid, Category.code.in_(categories))
                .cte("guest_categories", recursive=True))
        tree = tree.union(select(Category.id).where(Category.tenant_id == tid)
                          .join(tree, Category.parent_id == tree.c.id))
        out.append(Product.category_id.in_(select(tree.c.id)))
    brands = split_codes(settings.get("brands"))
    if brands:
        out.append(Product.brand_id.in_(select(Brand.id).where(Brand.tenant_id == tid, Brand.code.in_(brands))))
    return out


# --- rate limits ----------------------------------------------------------------------


def client_ip(ctx: Any) -> str:
    request = getattr(ctx, "request", None)
    client = getattr(request, "client", None)
    return (getattr(client, "host", None) or "unknown")[:64]


def _limit(settings: dict[str, Any], name: str, default: int) -> int:
    try:
        return int(settings.get(name) if settings.get(name) is not None else default)
    except (TypeError, ValueError):
        return default


async def rate_violations(ctx: TenantContext) -> list[str]:
    """Messages for every exceeded limit: guest orders per IP and per phone in the window."""
    settings = ctx.settings(PLUGIN)
    window = _limit(settings, "rate_window_minutes", 60)
    per_ip = _limit(settings, "max_orders_per_ip", 20)
    per_phone = _limit(settings, "max_orders_per_phone", 5)
    since = utcnow() - timedelta(minutes=max(window, 1))
    ip = client_ip(ctx)
    phone = normalize_phone((ctx.guest or {}).get("phone", ""))
    counts = (await ctx.session.execute(select(
        func.count().filter(GuestAttempt.ip == ip),
        func.count().filter(GuestAttempt.phone == phone),
    ).where(GuestAttempt.at >= since, or_(GuestAttempt.ip == ip, GuestAttempt.phone == phone)))).one()
    out = []
    if per_ip > 0 and counts[0] >= per_ip:
        out.append(f"Too many guest orders from this network; try again in {window} minutes or sign in.")
    if per_phone > 0 and counts[1] >= per_phone:
        out.append(f"Too many guest orders for this phone number; try again in {window} minutes.")
    return out


def normalize_phone(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone or "")[:32]


def record_attempt(ctx: TenantContext, order: Order) -> None:
    ctx.session.add(GuestAttempt(ip=client_ip(ctx), phone=normalize_phone((ctx.guest or {}).get("phone", "")),
                                 order_id=order.id))


# --- share links ----------------------------------------------------------------------


def share_code_from(ctx: Any, cart: Any) -> str | None:
    """The share code an order came with: ``cart.info["share"]`` (when the core fills it), the
    ``X-Qudao-Share`` header (API clients) or the ``qd_share`` cookie set by ``/s/{code}``."""
    code = (getattr(cart, "info", None) or {}).get("share")
    request = getattr(ctx, "request", None)
    if not code and request is not None:
        code = request.headers.get(SHARE_HEADER) or request.cookies.get(SHARE_COOKIE)
    if isinstance(code, str) and SHARE_CODE_RE.match(code):
        return code
    return None


def record_share_order(ctx: TenantContext, order: Order, code: str) -> None:
    ctx.session.add(ShareOrder(code=code, order_id=order.id, order_number=order.number, total=order.total,
                               guest=order.guest is not None))


async def create_link(ctx: TenantContext, user: User, sku: str) -> tuple[ShareLink, bool]:
    """One link per sharer and product (asking again returns the same link)."""
    product = await ctx.session.scalar(select(Product).where(Product.sku == sku, Product.active.is_(True)))
    if product is None:
        raise InputError(f"unknown product '{sku}'", field="sku")
    existing = await ctx.session.scalar(select(ShareLink).where(ShareLink.sharer_user_id == user.id,
                                                                ShareLink.product_id == product.id))
    if existing is not None:
        return existing, False
    link = ShareLink(code=secrets.token_urlsafe(6).replace("-", "x").replace("_", "y"), product_id=product.id,
                     sku=product.sku, sharer_user_id=user.id, sharer_kind=user.kind,
                     sharer_customer_id=user.customer_id if user.kind == "customer" else None, clicks=0)
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(link)
    except IntegrityError:  # the same sharer asked twice at once: return the winner's link
        existing = await ctx.session.scalar(select(ShareLink).where(ShareLink.sharer_user_id == user.id,
                                                                    ShareLink.product_id == product.id))
        if existing is None:
            raise
        return existing, False
    return link, True


async def click(session: AsyncSession, code: str) -> ShareLink | None:
    """Count one click (a conditional UPDATE, safe under concurrency) and return the link."""
    if not SHARE_CODE_RE.match(code):
        return None
    result = await session.execute(update(ShareLink).where(ShareLink.code == code)
                                   .values(clicks=ShareLink.clicks + 1, last_click_at=utcnow())
                                   .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    return await session.scalar(select(ShareLink).where(ShareLink.code == code)
                                .execution_options(populate_existing=True))


async def link_stats(session: AsyncSession, *, currency: str = "CNY", sharer_user_id: int | None = None) -> list[dict[str, Any]]:
    """Links with clicks, attributed orders and their amount (summed in Python: Money is text on SQLite)."""
    stmt = select(ShareLink, User.email).outerjoin(User, User.id == ShareLink.sharer_user_id)
    if sharer_user_id is not None:
        stmt = stmt.where(ShareLink.sharer_user_id == sharer_user_id)
    rows = (await session.execute(stmt.order_by(ShareLink.created_at.desc()).limit(1000))).all()
    codes = [link.code for link, _ in rows]
    orders: dict[str, list[ShareOrder]] = {}
    if codes:
        for so in (await session.scalars(select(ShareOrder).where(ShareOrder.code.in_(codes)))).all():
            orders.setdefault(so.code, []).append(so)
    out = []
    for link, email in rows:
        mine = orders.get(link.code, [])
        out.append({"code": link.code, "sku": link.sku, "sharer": email, "sharer_kind": link.sharer_kind,
                    "clicks": link.clicks, "orders": len(mine),
                    "order_total": str(quantize(sum((o.total for o in mine), Decimal("0")), currency)),
                    "order_numbers": sorted(o.order_number for o in mine),
                    "created_at": link.created_at.isoformat()})
    return out


# --- guest → customer -----------------------------------------------------------------


async def guest_order(session: AsyncSession, number: str) -> Order:
    order = await session.scalar(select(Order).where(Order.number == number, Order.customer_id.is_(None)))
    if order is None or not order.guest:
        raise NotFound(f"no guest order '{number}'")
    return order


async def convert(ctx: TenantContext, order: Order, data: dict[str, Any], user_id: int | None) -> Customer:
    """Create a customer from the guest's contact details on ``order`` (one step).

    ``code`` is required and must be new (409 if taken); ``name``, ``tier``, ``warehouse``,
    ``region`` may be given, else the guest's name is used.
    """
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field="body")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise InputError("is required", field="code")
    code = check_code(code.strip())
    if await ctx.session.scalar(select(Conversion.id).where(Conversion.order_id == order.id)) is not None:
        raise Conflict(f"order '{order.number}' was already turned into a customer")
    if await ctx.session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise Conflict(f"customer '{code}' exists already")
    guest = order.guest or {}
    body = {k: data[k] for k in ("tier", "warehouse", "region", "type") if data.get(k) not in (None, "")}
    body["name"] = data.get("name") or guest.get("name") or code
    customer, _ = await upsert_customer(ctx.session, code, body)
    customer.contacts = [{"name": guest.get("name", ""), "phone": guest.get("phone", "")}]
    customer.addresses = [{"address": guest.get("address", ""), "default": True}] if guest.get("address") else []
    ctx.session.add(Conversion(order_id=order.id, customer_id=customer.id,
                               phone=normalize_phone(guest.get("phone", "")), user_id=user_id))
    await ctx.session.flush()
    return customer


async def guest_orders(session: AsyncSession, currency: str = "CNY", limit: int = 200) -> list[dict[str, Any]]:
    orders = (await session.scalars(select(Order).where(Order.customer_id.is_(None))
                                    .order_by(Order.created_at.desc()).limit(limit))).all()
    ids = [o.id for o in orders]
    converted: dict[int, str] = {}
    if ids:
        converted = dict((await session.execute(
            select(Conversion.order_id, Customer.code).join(Customer, Customer.id == Conversion.customer_id)
            .where(Conversion.order_id.in_(ids)))).all())
    return [{"number": o.number, "status": o.status, "total": str(quantize(o.total, currency)), "created_at": o.created_at,
             "guest": o.guest or {}, "customer": converted.get(o.id)} for o in orders if o.guest]
