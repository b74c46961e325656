"""Translation helpers for the plugin's Python strings (its own catalog, ``locales/``).

``_`` translates for the current request's locale (the page's; API handlers set the tenant's);
``N_`` marks a string that reaches ``_()`` as a variable in a template, so extraction keeps it.
Texts stored with an order (the adjustment label) follow the tenant's locale, as promotions do.
"""

from __future__ import annotations


def _(message: str) -> str:
    from qudao.web.i18n import gettext_

    return gettext_(message)


def N_(message: str) -> str:  # noqa: N802 - the gettext "no-op" marker the extractor knows
    return message


# Shown through _(variable) in the templates: period kinds, tier modes, statuses, ledger kinds,
# report columns and dimensions, page flashes, menu entries.
DYNAMIC = (
    N_("month"), N_("quarter"), N_("year"), N_("custom"), N_("retroactive"), N_("progressive"),
    N_("pending"), N_("approved"), N_("rejected"),
    N_("approval"), N_("deduction"), N_("restore"), N_("edit"), N_("adjustment"),
    N_("basis"), N_("accrued"), N_("used"), N_("balance"), N_("outstanding"),
    N_("program"), N_("customer"), N_("period"), N_("by program"), N_("by customer"), N_("by period"),
    N_("Program saved."), N_("Period closed."), N_("Approved."), N_("Rejected."), N_("Adjustment recorded."),
    N_("Rebates"), N_("My rebates"), N_("rebates"),
)
