"""Credit limits, payment terms and receivables per customer."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class CreditPlugin:
    meta = PluginMeta(
        name="credit",
        title="Credit 信用额度",
        version="0.1.0",
        description="Credit limits, payment terms and receivables per customer.",
        package_dir=Path(__file__).parent,
    )


plugin = CreditPlugin()
