"""Words the pages translate from variables (statuses, flashes, menu): listed so extraction sees them."""


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's usual name
    return message


MENU = (N_("Tasks"), N_("Channel tasks"), N_("Tasks to do"))
STATUSES = (N_("open"), N_("submitted"), N_("accepted"), N_("returned"))
FLASHES = (N_("Task published."), N_("Answer sent. Thank you!"), N_("Answer accepted."),
           N_("Answer sent back."), N_("Reminders sent."))


def translate(ctx: object, message: str) -> str:
    """A message in the request's language (for strings the host prints as they are, panel titles)."""
    from qudao.web import i18n
    from qudao.web.pages.common import locale_for

    request = getattr(ctx, "request", None)
    locale = locale_for(request, ctx) if request is not None else i18n.get_locale()  # type: ignore[arg-type]
    return i18n.translations(locale).gettext(message)
