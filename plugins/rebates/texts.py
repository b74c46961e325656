"""Buyer-facing sentences built in Python (progress, adjustment labels, refusals), translated
through the plugin's own catalog (``locales/*/LC_MESSAGES/messages.po``).

Texts stored with an order (the adjustment label) follow the tenant's locale, as promotions do;
the rest follow the page's.
"""

from __future__ import annotations

from typing import Any


def t(ctx: Any, message: str) -> str:
    """Translate for the current request's locale (the page's, or the tenant's for the API)."""
    from qudao.web.i18n import gettext_

    return gettext_(message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message
