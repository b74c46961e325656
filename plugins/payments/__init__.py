"""Payments: card (Stripe), prepaid balance, credit and bank transfer; settlement splits."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class PaymentsPlugin:
    meta = PluginMeta(
        name="payments",
        title="Payments 支付与分账",
        version="0.1.0",
        description="Card payments through Stripe, prepaid balance, bank transfer; settlement splits.",
        package_dir=Path(__file__).parent,
    )


plugin = PaymentsPlugin()
