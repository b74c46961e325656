"""Distributors see and order only the product brands they are authorized for."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class BrandIsolationPlugin:
    meta = PluginMeta(
        name="brand_isolation",
        title="Brand isolation 品牌授权",
        version="0.1.0",
        description="Distributors see and order only the product brands they are authorized for.",
        package_dir=Path(__file__).parent,
    )


plugin = BrandIsolationPlugin()
