"""Price history: every change is a row, so past prices can be answered."""

from __future__ import annotations

from decimal import Decimal

from qudao.core.pricing.models import PriceChange
from sqlalchemy.ext.asyncio import AsyncSession


async def record_price_change(session: AsyncSession, scope: str, scope_key: str | None, sku: str,
                              old: Decimal | None, new: Decimal | None, user_id: int | None) -> None:
    session.add(PriceChange(scope=scope, scope_key=scope_key, sku=sku, old_price=old, new_price=new,
                            changed_by=user_id))
