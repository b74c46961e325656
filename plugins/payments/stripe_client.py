"""The one place that builds Stripe clients.

Production: one platform key (``QUDAO_STRIPE_SECRET_KEY``) and, for a test double,
``QUDAO_STRIPE_API_BASE``; settings are read at call time.

Payments (PaymentIntents, charges, refunds) and Connect (accounts, account links,
transfers, reversals) are the same Stripe API. Our offline doubles are two servers,
though (localstripe has no Connect; our Connect double has no PaymentIntents), so a
test can point each *kind* at its own base with :func:`set_api_bases`::

    set_api_bases(payments=localstripe.base_url, connect=connect_double.base_url)
    ...
    set_api_bases()  # back to settings

Clients never retry by themselves (``max_network_retries=0``): a lost answer surfaces
as an exception, the job fails and Dramatiq retries it with the same deterministic
idempotency key. Calls are synchronous (stripe-python's default HTTP client); async
code runs them with :func:`call` in a worker thread so the event loop is never blocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import stripe

from qudao.core.config import get_settings
from qudao.core.errors import QudaoError

Kind = Literal["payments", "connect"]
T = TypeVar("T")

TEST_DOUBLE_KEY = "sk_test_qudao_double"
_bases: dict[str, str] = {}


class ProviderUnavailable(QudaoError):
    """Stripe is not configured or did not answer; nothing was charged twice."""

    status = 502
    title = "Payment provider unavailable"


def set_api_bases(*, payments: str | None = None, connect: str | None = None) -> None:
    """Tests: send each kind of call to its own double (``None`` = use settings)."""
    _bases.clear()
    if payments:
        _bases["payments"] = payments
    if connect:
        _bases["connect"] = connect


def api_base(kind: Kind) -> str | None:
    return _bases.get(kind) or get_settings().stripe_api_base


def configured() -> bool:
    settings = get_settings()
    return bool(settings.stripe_secret_key or api_base("payments"))


def client(kind: Kind = "payments") -> stripe.StripeClient:
    settings = get_settings()
    base = api_base(kind)
    key = settings.stripe_secret_key or (TEST_DOUBLE_KEY if base else None)
    if not key:
        raise ProviderUnavailable("Stripe is not configured (QUDAO_STRIPE_SECRET_KEY)")
    kwargs: dict[str, Any] = {"max_network_retries": 0}
    if base:
        kwargs["base_addresses"] = {"api": base, "connect": base, "files": base}
    return stripe.StripeClient(key, **kwargs)


async def call(fn: Callable[[], T]) -> T:
    """Run a blocking Stripe call in a thread."""
    return await asyncio.to_thread(fn)


def as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


def ident(value: Any) -> str | None:
    """An expandable field's id (``latest_charge`` may be an id or an object)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return getattr(value, "id", None) or (value.get("id") if isinstance(value, dict) else None)
