"""Pricing: tier and customer prices, price policies, quantity breaks, the price history and the one
price engine (``engine.resolve_prices``; resolution order documented there)."""

from qudao.core.pricing import history as _history  # noqa: F401 - registers the customer-profile flush listener
