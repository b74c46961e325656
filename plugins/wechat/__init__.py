"""WeChat official-account template messages for buyers and staff."""

from pathlib import Path

from qudao.core.plugin_api import PluginMeta, Setting  # noqa: F401


class WeChatPlugin:
    meta = PluginMeta(
        name="wechat",
        title="WeChat 微信通知",
        version="0.1.0",
        description="WeChat official-account template messages for buyers and staff.",
        package_dir=Path(__file__).parent,
    )


plugin = WeChatPlugin()
