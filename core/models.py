"""Imports every core model so ``Base.metadata`` is complete (Alembic, tests)."""

from qudao.core.audit.models import AuditEntry
from qudao.core.auth.models import ApiToken, LoginAttempt, User, WebSession
from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.channels.models import FloorAttempt, ResellerPrice
from qudao.core.customers.applications import CustomerApplication
from qudao.core.customers.models import Customer, Tier
from qudao.core.db.base import Base
from qudao.core.inventory.models import Stock, StockMove, Warehouse
from qudao.core.orders.carts import SavedCart, SavedCartItem
from qudao.core.orders.models import Order, OrderAdjustment, OrderCounter, OrderEvent, OrderLine
from qudao.core.outbox import JobOutbox
from qudao.core.plugins.models import PluginState
from qudao.core.pricing.models import CustomerPrice, PriceChange, TierPrice
from qudao.tenants.models import PlatformOperator, Tenant

__all__ = [
    "ApiToken", "AuditEntry", "Base", "Brand", "Category", "Customer", "CustomerApplication", "CustomerPrice",
    "FloorAttempt", "JobOutbox", "LoginAttempt", "Order",
    "OrderAdjustment", "OrderCounter", "OrderEvent", "OrderLine", "PlatformOperator", "PluginState",
    "PriceChange", "Product", "ResellerPrice", "SavedCart", "SavedCartItem", "Stock", "StockMove", "Tenant", "Tier", "TierPrice",
    "User", "WebSession", "Warehouse",
]
