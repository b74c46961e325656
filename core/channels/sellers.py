"""Who sells to a buyer: the brand, or the reseller above it in the customer tree.

Every order has a seller (``Order.seller_customer_id``: None = the brand). A store whose
parent customer has ``can_resell`` orders from that parent by default
(tenant setting ``channels.default_seller``: ``parent`` unless set to ``brand``), or from
the brand where the store has ``direct_from_brand`` (or the brand made ``brand`` the
default). The checkout pipeline asks this module once per cart (:func:`seller_for_cart`)
and keeps the answer on ``cart.info["seller"]``; pricing, stock and placement read it there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.customers.models import Customer
from qudao.core.errors import InputError
from qudao.core.inventory.models import Warehouse
from qudao.core.inventory.service import warehouse_for
from qudao.core.plugins.context import TenantContext

SELLER_KEY = "seller"
SELLER_CHOICES = ("brand", "parent")


@dataclass(frozen=True)
class Seller:
    """The seller of a cart: ``customer`` None is the brand."""

    customer: Customer | None
    warehouse_id: int | None

    @property
    def is_brand(self) -> bool:
        return self.customer is None

    @property
    def customer_id(self) -> int | None:
        return self.customer.id if self.customer is not None else None

    def as_dict(self) -> dict[str, Any]:
        if self.customer is None:
            return {"kind": "brand", "code": None, "name": None}
        return {"kind": "parent", "code": self.customer.code, "name": self.customer.name}


def default_seller_setting(ctx: TenantContext) -> str:
    value = (ctx.tenant.setting("channels", default={}) or {}).get("default_seller")
    return value if value in SELLER_CHOICES else "parent"


async def reselling_parent(session: AsyncSession, customer: Customer | None) -> Customer | None:
    """The active ``can_resell`` parent of ``customer``, if any."""
    if customer is None or customer.parent_id is None:
        return None
    parent = await session.get(Customer, (customer.tenant_id, customer.parent_id))
    if parent is None or not parent.can_resell or parent.status != "active":
        return None
    return parent


async def reseller_warehouse(session: AsyncSession, reseller: Customer, *, create: bool = False) -> Warehouse | None:
    """The reseller's own warehouse (its first); ``create`` makes one on first need.

    Its code ends in ``~stock``: brand codes cannot contain ``~``, so it never collides."""
    wh = await session.scalar(select(Warehouse).where(Warehouse.owner_customer_id == reseller.id)
                              .order_by(Warehouse.id).limit(1))
    if wh is None and create:
        wh = Warehouse(code=f"{reseller.code[:58]}~stock", name=reseller.name[:190], owner_customer_id=reseller.id)
        session.add(wh)
        await session.flush()
    return wh


async def seller_for(ctx: TenantContext, requested: Any = None) -> Seller:
    """Resolve the seller for the current buyer; ``requested`` is the body's ``seller``."""
    if requested is not None and requested not in SELLER_CHOICES:
        raise InputError("must be 'brand' or 'parent'", field="seller")
    buyer = ctx.customer if not ctx.is_staff else None
    parent = await reselling_parent(ctx.session, buyer) if buyer is not None and ctx.guest is None else None
    if parent is None:
        if requested == "parent":
            raise InputError("no distributor above you sells to you; order from the brand", field="seller")
        return Seller(None, await warehouse_for(ctx.session, buyer))
    default = default_seller_setting(ctx)
    choice = requested or default
    if choice == "brand" and default != "brand" and not buyer.direct_from_brand:  # type: ignore[union-attr]
        raise InputError("the brand has not allowed you to order from it directly; order from your distributor",
                         field="seller")
    if choice == "brand":
        return Seller(None, await warehouse_for(ctx.session, buyer))
    wh = await reseller_warehouse(ctx.session, parent)
    return Seller(parent, wh.id if wh is not None else None)


async def seller_for_cart(ctx: TenantContext, cart: Any, body: dict[str, Any]) -> Seller:
    """Resolve once per cart and keep it on ``cart.info`` (read by pricing, stock, placement)."""
    seller = await seller_for(ctx, body.get("seller"))
    cart.info[SELLER_KEY] = seller
    return seller


def cart_seller(cart: Any) -> Seller | None:
    found = cart.info.get(SELLER_KEY)
    return found if isinstance(found, Seller) else None


def cart_seller_id(cart: Any) -> int | None:
    seller = cart_seller(cart)
    return seller.customer_id if seller is not None else None


async def cart_warehouse(ctx: TenantContext, cart: Any) -> int | None:
    """The warehouse a cart is served from: its seller's, else the buyer's (brand) warehouse."""
    seller = cart_seller(cart)
    if seller is not None:
        return seller.warehouse_id
    return await warehouse_for(ctx.session, ctx.customer)


def as_seller_ctx(ctx: TenantContext, cart: Any) -> TenantContext:
    """A context whose buyer is the cart's reseller: the products a reseller may sell are those
    the brand lets it buy (brand isolation and other product criteria apply to the reseller)."""
    seller = cart_seller(cart)
    if seller is None or seller.customer is None:
        return ctx
    return replace(ctx, customer=seller.customer)
