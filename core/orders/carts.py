"""The buyer's saved cart: one per buyer login, kept on the server so it follows the buyer
across devices. It only remembers products and quantities; prices, rules and stock are
always worked out fresh by ``checkout.build_cart`` (the same code that places the order).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped

from qudao.core.catalog.models import Product
from qudao.core.db.base import Base, TenantOwned, new_id, tenant_ref, utcnow
from qudao.core.db.columns import Code, CreatedAt, Int32, ProductRef, UpdatedAt, UserRef
from qudao.core.errors import InputError
from qudao.core.orders.checkout import MAX_LINES, MAX_QTY


class SavedCart(TenantOwned, Base):
    """One cart per buyer user (unique per tenant and user)."""

    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[UserRef]
    coupon: Mapped[Code | None]
    updated_at: Mapped[UpdatedAt]


class SavedCartItem(TenantOwned, Base):
    __tablename__ = "cart_items"
    __table_args__ = (UniqueConstraint("tenant_id", "cart_id", "product_id"),)

    cart_id: Mapped[int] = tenant_ref("carts", ondelete="CASCADE", index=True)
    product_id: Mapped[ProductRef]
    qty: Mapped[Int32]
    added_at: Mapped[CreatedAt]


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _tenant_id(session: AsyncSession) -> int:
    tid = session.sync_session.info.get("tenant_id")
    if tid is None:
        raise RuntimeError("no tenant bound")
    return int(tid)


async def cart_id_for(session: AsyncSession, user_id: int, *, create: bool) -> int | None:
    """The buyer's cart id; created on first use (safe under concurrent first adds)."""
    found = await session.scalar(select(SavedCart.id).where(SavedCart.user_id == user_id))
    if found is not None or not create:
        return found
    table = SavedCart.__table__
    await session.execute(_insert(session)(table).values(
        tenant_id=_tenant_id(session), id=new_id(), user_id=user_id, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id", "user_id"]))
    return await session.scalar(select(SavedCart.id).where(SavedCart.user_id == user_id))


async def cart_items(session: AsyncSession, user_id: int) -> list[tuple[SavedCartItem, Product]]:
    """Items with their products, oldest first (the order the buyer added them)."""
    cart_id = await cart_id_for(session, user_id, create=False)
    if cart_id is None:
        return []
    rows = await session.execute(
        select(SavedCartItem, Product)
        .join(Product, (Product.id == SavedCartItem.product_id) & (Product.tenant_id == SavedCartItem.tenant_id))
        .where(SavedCartItem.cart_id == cart_id).order_by(SavedCartItem.added_at, SavedCartItem.id))
    return [(item, product) for item, product in rows.all()]


async def cart_lines(session: AsyncSession, user_id: int) -> list[dict[str, object]]:
    """The cart as checkout lines ``[{sku, qty}]`` for ``build_cart`` / ``place_order``."""
    return [{"sku": p.sku, "qty": item.qty} for item, p in await cart_items(session, user_id)]


async def cart_count(session: AsyncSession, user_id: int) -> int:
    """Number of distinct products in the cart (for the badge)."""
    cart_id = await cart_id_for(session, user_id, create=False)
    if cart_id is None:
        return 0
    return int(await session.scalar(select(func.count()).select_from(SavedCartItem)
                                    .where(SavedCartItem.cart_id == cart_id)) or 0)


def check_qty(qty: int) -> None:
    if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1 or qty > MAX_QTY:
        raise InputError(f"must be a whole number from 1 to {MAX_QTY}", field="qty")


async def add_items(session: AsyncSession, user_id: int, items: Iterable[tuple[int, int]]) -> None:
    """Add ``(product_id, qty)`` pairs, adding to what is already in the cart.

    Checks everything first: a quantity out of range, or a cart that would get too many
    lines or too much of one product, raises InputError and changes nothing."""
    wanted: dict[int, int] = {}
    for product_id, qty in items:
        check_qty(qty)
        wanted[product_id] = wanted.get(product_id, 0) + qty
    if not wanted:
        return
    cart_id = await cart_id_for(session, user_id, create=True)
    current = dict((await session.execute(
        select(SavedCartItem.product_id, SavedCartItem.qty).where(SavedCartItem.cart_id == cart_id))).all())
    if len(set(current) | set(wanted)) > MAX_LINES:
        raise InputError(f"a cart holds at most {MAX_LINES} products", field="lines")
    for pid, qty in wanted.items():
        if current.get(pid, 0) + qty > MAX_QTY:
            raise InputError(f"at most {MAX_QTY} of one product", field="qty")
    table = SavedCartItem.__table__
    tid = _tenant_id(session)
    insert = _insert(session)
    for pid, qty in wanted.items():
        stmt = insert(table).values(tenant_id=tid, id=new_id(), cart_id=cart_id, product_id=pid, qty=qty,
                                    added_at=utcnow())
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["tenant_id", "cart_id", "product_id"], set_={"qty": table.c.qty + stmt.excluded.qty}))
    await _touch(session, cart_id)


async def set_qty(session: AsyncSession, user_id: int, product_id: int, qty: int) -> bool:
    """Set one product's quantity (0 removes it). False when it was not in the cart."""
    if qty != 0:
        check_qty(qty)
    cart_id = await cart_id_for(session, user_id, create=False)
    if cart_id is None:
        return False
    where = (SavedCartItem.cart_id == cart_id, SavedCartItem.product_id == product_id)
    if qty == 0:
        result = await session.execute(delete(SavedCartItem).where(*where)
                                       .execution_options(synchronize_session=False))
    else:
        result = await session.execute(update(SavedCartItem).where(*where).values(qty=qty)
                                       .execution_options(synchronize_session=False))
    if result.rowcount:
        await _touch(session, cart_id)
    return bool(result.rowcount)


async def clear(session: AsyncSession, user_id: int) -> None:
    """Empty the cart (items and coupon)."""
    cart_id = await cart_id_for(session, user_id, create=False)
    if cart_id is not None:
        await session.execute(delete(SavedCartItem).where(SavedCartItem.cart_id == cart_id)
                              .execution_options(synchronize_session=False))
        await session.execute(update(SavedCart).where(SavedCart.id == cart_id).values(coupon=None)
                              .execution_options(synchronize_session=False))
        await _touch(session, cart_id)


async def get_coupon(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(SavedCart.coupon).where(SavedCart.user_id == user_id))


async def set_coupon(session: AsyncSession, user_id: int, coupon: str | None) -> None:
    """Remember a coupon code for the next quote (None removes it); the pipeline judges it."""
    coupon = (coupon or "").strip() or None
    if coupon is not None and len(coupon) > 64:
        raise InputError("must be at most 64 characters", field="coupon")
    cart_id = await cart_id_for(session, user_id, create=True)
    await session.execute(update(SavedCart).where(SavedCart.id == cart_id).values(coupon=coupon, updated_at=utcnow())
                          .execution_options(synchronize_session=False))


async def _touch(session: AsyncSession, cart_id: int) -> None:
    await session.execute(update(SavedCart).where(SavedCart.id == cart_id).values(updated_at=utcnow())
                          .execution_options(synchronize_session=False))
