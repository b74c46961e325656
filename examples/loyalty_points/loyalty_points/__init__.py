"""Loyalty points: a buyer earns a point per ``yuan_per_point`` of each order's total, loses them
when the order is cancelled or rejected, and sees the balance on the storefront home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qudao.core.plugin_api import Panel, PluginMeta, Setting, hookimpl
from sqlalchemy import delete, func, select

from loyalty_points.models import PointsEntry

NAME = "loyalty_points"


class LoyaltyPoints:
    meta = PluginMeta(
        name=NAME, title="Loyalty points 积分", version="0.1.0", api=">=1.0,<2",
        settings=(Setting("yuan_per_point", "int", "Yuan per point", default=10, min=1, max=100_000),),
        package_dir=Path(__file__).parent,
    )

    @hookimpl
    async def qudao_order_placed(self, ctx: Any, order: Any, cart: Any) -> list[Any]:
        points = int(cart.total // int(ctx.settings(NAME)["yuan_per_point"]))
        if order.customer_id is not None and points > 0:
            ctx.session.add(PointsEntry(customer_id=order.customer_id, order_id=order.id, points=points))
        return []

    @hookimpl
    async def qudao_order_status_changed(self, ctx: Any, order: Any, old: str, new: str, note: str) -> None:
        if new in ("cancelled", "rejected"):
            await ctx.session.execute(delete(PointsEntry).where(PointsEntry.order_id == order.id))

    @hookimpl
    async def qudao_storefront_panels(self, ctx: Any) -> list[Panel]:
        balance = await ctx.session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                                           .where(PointsEntry.customer_id == ctx.customer.id))
        return [Panel(title="Loyalty points 积分", template=f"{NAME}/_balance.html",
                      context={"points": int(balance or 0)})]


plugin = LoyaltyPoints()
