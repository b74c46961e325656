"""Promotions: threshold discounts, gifts, special prices, bundles and coupons."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class PromotionsPlugin:
    meta = PluginMeta(
        name="promotions",
        title="Promotions 促销",
        version="0.1.0",
        description="Promotions: threshold discounts, gifts, special prices, bundles and coupons.",
        package_dir=Path(__file__).parent,
    )


plugin = PromotionsPlugin()
