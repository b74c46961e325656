"""Words the pages translate from variables (``_(r.dimension)``, flashes, menu): listed here so
the catalog extraction sees them."""


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's usual name
    return message


MENU = N_("Sales targets")
DIMENSIONS = (N_("all"), N_("region"), N_("customer_type"), N_("customer"), N_("sales_rep"))
SCOPES = (N_("brand"), N_("category"), N_("skus"))
MEASURES = (N_("amount"), N_("qty"))
RULES = (N_("placed"), N_("approved"), N_("received"))
FLASHES = (N_("Target added."), N_("Targets saved."), N_("Target deleted."), N_("Targets imported."),
           N_("Targets copied to the next period."))
PANEL = (N_("My targets"), N_("Targets this period"), N_("All targets"))


def translate(ctx: object, message: str) -> str:
    """A message in the request's language (for strings the host prints as they are, panel titles)."""
    from qudao.web import i18n
    from qudao.web.pages.common import locale_for

    request = getattr(ctx, "request", None)
    locale = locale_for(request, ctx) if request is not None else i18n.get_locale()  # type: ignore[arg-type]
    return i18n.translations(locale).gettext(message)
