"""The plugin API (version ``API_VERSION``): every hook a plugin may implement.

Each hook is documented in README.md ("Writing a plugin"); a test fails when a
hookspec is missing there. Hooks are called only for plugins enabled for the
current tenant. ``ctx`` is a :class:`qudao.core.plugins.context.TenantContext`.

Checkout and order hooks (``qudao_product_criteria``, ``qudao_adjust_lines``,
``qudao_order_adjustments``, ``qudao_order_deductions``, ``qudao_validate_cart``, ``qudao_order_placed``,
``qudao_order_edited``, ``qudao_order_status_changed``, ``qudao_order_paid``,
``qudao_product_badges``, ``qudao_stock_low``, ``qudao_credit_alert``, ``qudao_customer_notice``,
``qudao_dashboard_panels``, ``qudao_storefront_panels``, ``qudao_reported_stock``,
``qudao_checkout_panels``) may be ``async def``: the
host awaits each implementation in turn, so they can query ``ctx.session``.
Menu, route and ``qudao_guest_checkout_allowed`` hooks must be plain functions.
"""

from __future__ import annotations

from typing import Any

import pluggy

API_VERSION = "1.0"
hookspec = pluggy.HookspecMarker("qudao")
hookimpl = pluggy.HookimplMarker("qudao")

# How the host calls each hook (docs/plugin-api.md is generated from these and the specs below).
# Hooks not listed in SYNC_HOOKS may be ``async def``. A veto hook's results refuse the operation;
# when one of its implementations raises, the host refuses too (fail closed), see plugins/isolation.py.
SYNC_HOOKS = frozenset({
    "qudao_api_routes", "qudao_page_routes", "qudao_platform_routes", "qudao_admin_menu",
    "qudao_storefront_menu", "qudao_guest_checkout_allowed",
})
VETO_HOOKS = frozenset({"qudao_validate_cart", "qudao_order_placed", "qudao_order_edited"})
# Hooks that narrow what a buyer may see: a raising implementation hides everything (never leaks).
RESTRICTING_HOOKS = frozenset({"qudao_product_criteria"})


@hookspec
def qudao_api_routes() -> list[Any]:
    """Return Litestar route handlers/controllers to mount under ``/t/{tenant_slug}/api/v1``.

    Called once at app start for every installed plugin. The host wraps them in a
    guard that answers 404 while the plugin is off for the request's tenant.
    """


@hookspec
def qudao_page_routes() -> list[Any]:
    """Return Litestar route handlers for HTML pages, mounted under ``/t/{tenant_slug}``.

    Paths should start with ``/admin/<plugin>`` or ``/<plugin>``; they are guarded like API routes.
    Templates live in the plugin's ``templates/<plugin>/`` folder and are referenced as
    ``"<plugin>/page.html"``.
    """


@hookspec
def qudao_platform_routes() -> list[Any]:
    """Return route handlers mounted at the root, outside any tenant (e.g. ``/stripe/webhook``).

    They are not guarded by tenant enablement: the handler must find the tenant itself
    (from a signed payload or id) and check that the plugin is on for it.
    """


@hookspec
def qudao_admin_menu(ctx: Any) -> list[tuple[str, str]]:
    """Return ``(label, path)`` admin menu entries; path relative to ``/t/{slug}/admin``.

    Shown to staff only. A ``RoutedPlugin`` may declare fixed entries in ``PluginMeta.admin_menu``
    instead of implementing this hook.
    """


@hookspec
def qudao_storefront_menu(ctx: Any) -> list[tuple[str, str]]:
    """Return ``(label, path)`` storefront menu entries; path relative to ``/t/{slug}``.

    Called for visitors too (``ctx.user`` is None). A ``RoutedPlugin`` may declare fixed entries
    for buyers signed in for a customer (``ctx.customer`` set) in ``PluginMeta.storefront_menu``
    instead of implementing this hook; a menu for visitors or by role stays this hook.
    """


@hookspec
def qudao_product_criteria(ctx: Any) -> list[Any]:
    """Return SQLAlchemy criteria on ``Product`` that limit what the current buyer may see.

    Applied to every listing, search, product page, quote and order of a buyer or guest
    (never to staff). A product filtered out is ``unknown_product`` at checkout. Criteria must
    be pure SQL over their bound values (e.g. subqueries), and every model they read must be
    marked ``CatalogVisibility``: catalog listings are cached per catalog version, which only
    changes to such models bump (core/catalog/listing.py).
    """


@hookspec(firstresult=True)
def qudao_guest_checkout_allowed(ctx: Any) -> bool | None:
    """Return True to let calls without a token quote and order as a guest at retail price."""


@hookspec
def qudao_adjust_lines(ctx: Any, cart: Any) -> None:
    """Change line prices in place (special prices); set ``line.unit_price`` and ``line.source``.

    Runs after the price engine resolved base/tier/customer prices and before totals.
    """


@hookspec
def qudao_order_adjustments(ctx: Any, cart: Any) -> list[Any]:
    """Return order-level :class:`Adjustment` (negative amounts) and :class:`GiftLine` items.

    Read ``cart.subtotal`` (after line adjustments). The host caps the total discount at the
    subtotal, so a total never goes negative.
    """


@hookspec
def qudao_order_deductions(ctx: Any, cart: Any) -> list[Any]:
    """Return :class:`Adjustment` items (negative amounts) that pay part of the order from a balance
    the plugin keeps (a rebate account, stored value).

    Called after every ``qudao_order_adjustments``, so ``cart.subtotal``, ``cart.discount`` and
    ``cart.total`` are the figures after promotions; read options the buyer sent from
    ``cart.request`` (e.g. ``use_rebate``). The host adds each item to ``cart.adjustments``, capped at
    what is left of the total. During a staff edit ``cart.info["edited_order_id"]`` is the order's id
    and ``cart.request`` is empty. Take the balance for real in ``qudao_order_placed``.
    """


@hookspec
def qudao_validate_cart(ctx: Any, cart: Any, placing: bool) -> list[Any]:
    """Return :class:`Violation` items; at quote they are shown, at placement they refuse."""


@hookspec
def qudao_order_placed(ctx: Any, order: Any, cart: Any) -> list[Any]:
    """Called inside the placement transaction; return violations to refuse and roll back.

    Use ``ctx.session`` for conditional updates (e.g. credit) and
    ``enqueue_after_commit`` for jobs. The order's rows are queued (``add_rows``): they are
    written before your first statement through the session, or with your own queued rows in
    one statement at commit if your statements are ``independent()`` of them.
    """


@hookspec
def qudao_order_edited(ctx: Any, order: Any, cart: Any, old_total: Any) -> list[Any]:
    """Called inside the transaction of a staff edit of a submitted order; return violations to refuse.

    ``cart`` is the re-priced cart now written to the order (``cart.total`` the new total),
    ``old_total`` the total before the edit (Decimal). Adjust what the plugin holds for
    the order (credit), or refuse the edit (a purchase limit, a credit limit).
    """


@hookspec
def qudao_order_status_changed(ctx: Any, order: Any, old: str, new: str, note: str) -> None:
    """Called inside the transaction of every status change (release credit, notify, …)."""


@hookspec
def qudao_order_paid(ctx: Any, order: Any) -> None:
    """Called inside the transaction that marks an order fully paid."""


@hookspec
def qudao_product_badges(ctx: Any, products: list[Any]) -> dict[int, list[str]]:
    """Return short labels for product cards and pages (e.g. "满500减50"), keyed by product id.

    Called for the products on a buyer's or guest's catalog page and product page.
    """


@hookspec
def qudao_stock_low(ctx: Any, warehouse_id: int, product_ids: list[int]) -> None:
    """Called inside the transaction that took these products' available stock in a warehouse
    from above their low-stock threshold to at or below it (an order's reservation or a stock change).

    Use ``enqueue_after_commit`` to notify; the change may still roll back.
    """


@hookspec
def qudao_credit_alert(ctx: Any, customer_id: int, kind: str, message: str) -> None:
    """Fired by the credit plugin inside a transaction when a customer's credit needs attention.

    ``kind`` is ``"near_limit"`` (an order took used credit past the warning share of the limit)
    or ``"over_limit"`` (used credit exceeds the limit, e.g. after the limit was lowered).
    ``message`` is a ready sentence for the buyer. Notify with ``enqueue_after_commit``.
    """


@hookspec
def qudao_customer_notice(ctx: Any, customer_id: int, kind: str, title: str, message: str, key: str,
                          url: str | None) -> None:
    """A plugin asks the notifiers to tell a customer's buyers something (a rebate approved, a task overdue).

    Fired inside a transaction by the plugin that has the news; notifiers (the WeChat plugin) enqueue
    with ``enqueue_after_commit`` and send at most once per ``(customer_id, kind, key)``, so a retried
    or repeated call is harmless. ``kind`` names the event (``"rebate_approved"``, ``"task_overdue"``),
    ``title`` is a short label (at most 20 characters reach WeChat), ``message`` a ready sentence for the
    buyer, ``url`` a storefront path relative to ``/t/{slug}`` (or None).
    """


@hookspec
def qudao_dashboard_panels(ctx: Any) -> list[Any]:
    """Return :class:`Panel` items for the admin dashboard (targets, rebates to approve, tasks due, …).

    Called once per dashboard render for staff; keep it to a query or two. ``Panel.html`` is markup the
    plugin rendered itself (e.g. with ``render_fragment``); panels are shown by ``order``, then title.
    """


@hookspec
def qudao_dashboard_todos(ctx: Any) -> list[Any]:
    """Return :class:`Todo` counts for the dashboard's "what needs me now" row (overdue credit, tasks due, …).

    Each ``Todo(label, count, url, icon)`` links to the filtered list that shows those items (``url``
    relative to ``/t/{slug}``); ``label`` is a msgid the page translates (put it in the plugin's
    catalog), ``icon`` a name from the vendored Lucide set. Called once per dashboard render: one count
    query, no more.
    """


@hookspec
def qudao_order_facts(ctx: Any, orders: list[Any]) -> dict[int, list[Any]]:
    """Return ``{order_id: [OrderFact]}``: what staff should know deciding on these orders (credit headroom, …).

    Called once for the approval queue's page of submitted orders and once for an admin order page, with
    the ``Order`` rows; answer for all of them in a query or two. ``OrderFact(label, value, tone, url)``:
    ``tone`` is ``""``, ``"ok"``, ``"warn"`` or ``"bad"``; ``url`` relative to ``/t/{slug}``.
    """


@hookspec
def qudao_checkout_panels(ctx: Any, cart: Any) -> list[Any]:
    """Return :class:`Panel` items for the buyer's checkout page, shown above the order form.

    ``cart`` is the page's quote. A panel offers a checkout option (e.g. "use my rebate"): a GET form
    to ``{base}/checkout`` with the option re-quotes the page with it, and an input placed with
    ``form="checkout-form"`` posts it with the order. The page forwards the options it knows
    (``use_rebate``) into the quote and order body, where plugins read them from ``cart.request``.
    """


@hookspec
def qudao_storefront_panels(ctx: Any) -> list[Any]:
    """Return :class:`Panel` items for a buyer's storefront home (rebate progress, open tasks, targets).

    Called once per storefront home render for a signed-in customer buyer (never for guests or staff).
    """


@hookspec
def qudao_reported_stock(ctx: Any, customer_id: int, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return the stock a customer reported for some of these products (e.g. counted in a task answer).

    ``{product_id: {"qty": int, "at": datetime, "source": str}}``; products it knows nothing of are left
    out. Read by plugins that plan for a customer (replenishment), so they need not import the plugin
    that collects the counts. When several answer for a product, the reader takes the latest ``at``.
    """
