"""Distributors see and order only the product brands they are authorized for.

Semantics (documented choice):

* A buyer (``ctx.customer`` set) sees a product when it has **no brand**, or its brand is
  authorized to the customer itself, to the customer's tier, or to any of the customer's
  groups (``Customer.groups``). Unbranded products stay visible to everyone: isolation is
  about brands.
* A customer **with no authorization rows sees no branded product** once the plugin is on
  (the usual 订货 practice: access must be granted). Authorizations are not inherited from a
  parent customer.
* Staff see everything (no criteria). Guests are not limited by this plugin; what guests see
  is ``guest_checkout``'s setting.
* The core applies the criterion to listings, search, brand filters, product pages, quotes
  and orders, so a hidden product is ``unknown_product``. Turning the plugin off removes the
  criterion and restores full visibility; the rows stay for when it is turned on again.
"""

from __future__ import annotations

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, hookimpl
from qudao.plugins.brand_isolation import models  # noqa: F401 - registers brand_isolation_* tables


class BrandIsolationPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="brand_isolation", title="Brand isolation 品牌授权", version="0.1.0",
        description="Distributors see and order only the product brands they are authorized for.",
        admin_menu=(("Brand access", "/brand-access"),),
    )

    @hookimpl
    def qudao_product_criteria(self, ctx: Any) -> list[Any]:
        user = getattr(ctx, "user", None)
        if user is not None and user.kind == "staff":
            return []
        customer = getattr(ctx, "customer", None)
        if customer is None:
            return []
        from qudao.plugins.brand_isolation.service import visibility_criterion

        return [visibility_criterion(customer)]


plugin = BrandIsolationPlugin()
