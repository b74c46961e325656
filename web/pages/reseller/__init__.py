"""The distributor back office (``/t/{slug}/reseller/…``, phone first): its stores, prices,
stock and its stores' orders. Every page acts for :func:`qudao.core.channels.scope.acting_reseller`."""
