"""The cart as it flows through the checkout pipeline (quote and order share it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Violation:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class Adjustment:
    """An order-level change; ``amount`` is negative for a discount. ``source`` names its origin."""

    source: str
    label: str
    amount: Decimal
    kind: str = "discount"

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "label": self.label, "amount": str(self.amount)}


@dataclass
class GiftLine:
    source: str
    sku: str
    qty: int
    label: str = ""


@dataclass
class CartLine:
    product: Any
    qty: int
    unit_price: Decimal
    source: str = "base"
    source_label: str = "Base price"
    gift: bool = False
    gift_source: str | None = None
    line_total: Decimal = Decimal("0")
    notes: list[str] = field(default_factory=list)
    # Set by a promotion that locks the main items' quantities on the order (no edits after placing).
    locked_by: str | None = None

    @property
    def sku(self) -> str:
        return self.product.sku

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.product.name,
            "qty": self.qty,
            "unit_price": str(self.unit_price),
            "line_total": str(self.line_total),
            "gift": self.gift,
            "price_source": self.gift_source if self.gift else self.source,
            "locked_by": self.locked_by,
        }


@dataclass
class Cart:
    currency: str
    lines: list[CartLine] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    coupon: str | None = None
    warehouse_id: int | None = None
    subtotal: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    info: dict[str, Any] = field(default_factory=dict)
    # The quote/order body as the buyer sent it (read-only for plugins: options such as ``use_rebate``).
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def bought_lines(self) -> list[CartLine]:
        return [line for line in self.lines if not line.gift]

    @property
    def qty(self) -> int:
        return sum(line.qty for line in self.bought_lines)

    def as_quote(self) -> dict[str, Any]:
        seller = self.info.get("seller")  # core/channels: who sells (the brand or the distributor)
        return {
            **({"seller": seller.as_dict()} if hasattr(seller, "as_dict") else {}),
            "lines": [line.as_dict() for line in self.lines],
            "adjustments": [a.as_dict() for a in self.adjustments],
            "subtotal": str(self.subtotal),
            "discount": str(self.discount),
            "total": str(self.total),
            "violations": [v.as_dict() for v in self.violations],
            "warnings": [v.as_dict() for v in self.warnings],
        }
