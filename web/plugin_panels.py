"""Rendering a plugin's panel template on its own, so one broken panel never fails the page.

``_panels.html`` calls ``plugin_panel(panel)``: the panel's template with the page's context plus
``panel``; when it raises (a missing template, an error inside it) the failure is logged with the
plugin's name (``plugin_panel_failed``) and the panel is left out.
"""

from __future__ import annotations

from typing import Any

import structlog
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from qudao.core.plugins.isolation import failure_listeners

log = structlog.get_logger("qudao.plugins")


@pass_context
def plugin_panel(context: Context, panel: Any) -> Markup:
    try:
        template = context.environment.get_template(panel.template)
        return Markup(template.render({**context.get_all(), "panel": panel}))
    except Exception as exc:  # noqa: BLE001 - a plugin's template must not fail the page
        plugin = str(panel.template).split("/", 1)[0]
        log.error("plugin_panel_failed", plugin=plugin, template=panel.template,
                  error=f"{type(exc).__name__}: {exc}", exc_info=exc)
        for listener in list(failure_listeners):
            listener(plugin, f"template {panel.template}", exc)
        return Markup("")
