"""The order lifecycle (contract): which transitions exist and who may make them."""

from __future__ import annotations

TRANSITIONS: dict[str, set[str]] = {
    "submitted": {"approved", "rejected", "cancelled"},
    "approved": {"in_production", "picking", "cancelled"},
    "in_production": {"picking"},
    "picking": {"shipped"},
    "shipped": {"delivered"},
    "delivered": {"received"},
    "received": set(),
    "rejected": set(),
    "cancelled": set(),
}
STATUSES = tuple(TRANSITIONS)
# What a buyer may do to its own order.
BUYER_TRANSITIONS = {("submitted", "cancelled"), ("delivered", "received")}
# Stock reserved at submitted is released when the order ends without shipping.
RELEASES_STOCK = {"rejected", "cancelled"}
OPEN_STATUSES = {"submitted", "approved", "in_production", "picking"}
STAFF_ROLES_FOR = {
    "approved": ("order_clerk",), "rejected": ("order_clerk",), "cancelled": ("order_clerk",),
    "in_production": ("order_clerk", "warehouse"), "picking": ("order_clerk", "warehouse"),
    "shipped": ("warehouse", "order_clerk"), "delivered": ("warehouse", "order_clerk"),
    "received": ("order_clerk",),
}


def allowed(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, set())
