"""The one stable module a plugin imports from the host.

    from qudao.core.plugin_api import hookimpl, PluginMeta, Setting, Violation, ...
"""

from qudao.core.audit import record as audit
from qudao.core.catalog.version import CatalogVisibility, bump_catalog
from qudao.core.db.base import Base, TenantOwned, new_id, tenant_fk, tenant_ref, utcnow
from qudao.core.db.columns import (
    ActiveTimestamps,
    Code,
    Coded,
    Count,
    CreatedAt,
    Currency,
    CustomerRef,
    Email,
    Int32,
    Json,
    JsonDict,
    JsonList,
    Name,
    Note,
    OrderNumber,
    OrderRef,
    ProductRef,
    TierRef,
    Timestamps,
    UpdatedAt,
    UserRef,
)
from qudao.core.db.mixins import (
    AccountMovement,
    BuyerScope,
    Created,
    CustomerBalance,
    ProductScope,
    TierOrCustomer,
)
from qudao.core.db.prepared import prepared, run, tenant_filtered, tenant_is
from qudao.core.db.rows import add_rows, independent
from qudao.core.db.session import enqueue_after_commit, transaction_note
from qudao.core.jobs import job
from qudao.core.money import fmt, from_minor, parse_money, quantize, to_minor
from qudao.core.orders.cart import Adjustment, Cart, CartLine, GiftLine, Violation
from qudao.core.plugins.base import RoutedPlugin
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.hookspecs import API_VERSION, hookimpl
from qudao.core.plugins.host import gather_hook
from qudao.core.plugins.meta import PluginMeta, Setting
from qudao.core.plugins.pages import render_page
from qudao.core.plugins.panels import OrderFact, Panel, Todo

__all__ = [
    "API_VERSION", "Adjustment", "Base", "Cart", "CartLine", "CatalogVisibility", "bump_catalog", "GiftLine", "OrderFact", "Panel", "PluginMeta",
    "RoutedPlugin", "Setting", "TenantContext", "TenantOwned", "Todo", "Violation", "add_rows", "audit",
    "enqueue_after_commit", "fmt", "from_minor", "gather_hook", "hookimpl", "job", "new_id", "parse_money",
    "quantize", "render_page", "tenant_fk", "tenant_ref", "to_minor", "transaction_note", "utcnow",
    # column kinds and mixins for plugin models (core/db/columns.py)
    "ActiveTimestamps", "Code", "Coded", "Count", "CreatedAt", "Currency", "Email", "Int32", "Json", "JsonDict", "JsonList", "Name",
    "Note", "OrderNumber", "Timestamps", "UpdatedAt",
    # references to core rows, gone with them (core/db/columns.py)
    "CustomerRef", "OrderRef", "ProductRef", "TierRef", "UserRef",
    # mixins for column groups plugin models share (core/db/mixins.py)
    "AccountMovement", "BuyerScope", "Created", "CustomerBalance", "ProductScope", "TierOrCustomer",
    # statements built once per shape, for hot paths (core/db/prepared.py)
    "independent", "prepared", "run", "tenant_filtered", "tenant_is",
]
