"""Guests order at retail prices without an account; share links."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class GuestCheckoutPlugin:
    meta = PluginMeta(
        name="guest_checkout",
        title="Guest checkout 游客下单",
        version="0.1.0",
        description="Guests order at retail prices without an account; share links.",
        package_dir=Path(__file__).parent,
    )


plugin = GuestCheckoutPlugin()
