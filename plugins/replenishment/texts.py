"""Words translated from variables (menu, sources, flashes): listed so extraction sees them."""


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's usual name
    return message


MENU = (N_("Replenishment"), N_("Suggested for you"), N_("Restock"))
SOURCES = (N_("purchases"), N_("sell-through"), N_("warehouse"), N_("reported"), N_("unknown"))
FLASHES = (N_("The suggested products are in your cart."),)


def translate(ctx: object, message: str) -> str:
    """A message in the request's language (for strings the host prints as they are, panel titles)."""
    from qudao.web import i18n
    from qudao.web.pages.common import locale_for

    request = getattr(ctx, "request", None)
    locale = locale_for(request, ctx) if request is not None else i18n.get_locale()  # type: ignore[arg-type]
    return i18n.translations(locale).gettext(message)
