"""Payments: card (Stripe), prepaid balance, credit and bank transfer; settlement splits.

See README.md in this folder for the design (flows, idempotency keys, what runs where).
"""

from typing import Any

from qudao.core.plugin_api import PluginMeta, RoutedPlugin, Setting, hookimpl
from qudao.plugins.payments import jobs  # noqa: F401 - registers the payments.* jobs


class PaymentsPlugin(RoutedPlugin):
    meta = PluginMeta(
        name="payments", title="Payments 支付与分账", version="0.1.0",
        description="Card payments through Stripe, prepaid balance, bank transfer; settlement splits.",
        settings=(
            Setting("method_card", "bool", label="Card payments (Stripe)", default=True),
            Setting("method_balance", "bool", label="Prepaid balance", default=True),
            Setting("method_bank_transfer", "bool", label="Bank transfer (recorded by finance)", default=True),
            Setting("method_credit", "bool", label="Pay later on credit (needs the credit plugin)", default=True),
        ),
        actors=("payments.payout", "payments.reverse", "payments.refund"),
        admin_menu=(("Payments", "/payments"),),
        storefront_menu=(("Pay orders", "/payments/orders"), ("My balance", "/payments/balance")),
    )

    @hookimpl
    def qudao_platform_routes(self) -> list[Any]:
        from qudao.plugins.payments.webhook import stripe_webhook

        return [stripe_webhook]


plugin = PaymentsPlugin()
