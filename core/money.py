"""Money is Decimal quantized to the currency's minor unit, rounded half-up."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY_PLACES = {"CNY": 2, "USD": 2, "EUR": 2, "JPY": 0, "HKD": 2, "TWD": 0, "KRW": 0}


def places(currency: str) -> int:
    return CURRENCY_PLACES.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str = "CNY") -> Decimal:
    return amount.quantize(_exponent(places(currency)), rounding=ROUND_HALF_UP)


@functools.cache
def _exponent(digits: int) -> Decimal:
    """``Decimal('0.01')`` for 2 places: built once (every price and line is quantized)."""
    return Decimal(1).scaleb(-digits)


def parse_money(value: object, currency: str = "CNY", *, allow_negative: bool = False) -> Decimal:
    """Parse a client-supplied amount. Floats are refused: JSON numbers arrive as str/int."""
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a decimal amount such as \"12.50\"")
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("must be a decimal amount such as \"12.50\"") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount < 0 and not allow_negative:
        raise ValueError("must not be negative")
    if amount.as_tuple().exponent < -places(currency):  # type: ignore[operator]
        raise ValueError(f"has more than {places(currency)} decimal places")
    if abs(amount) >= Decimal("1e12"):
        raise ValueError("is too large")
    return quantize(amount, currency)


def fmt(amount: Decimal, currency: str = "CNY") -> str:
    """Contract format: a decimal string with the currency's places."""
    return str(quantize(amount, currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal money -> integer minor units (fen for CNY), rounded half-up to the currency's places.

    Balances a conditional SQL UPDATE compares (``WHERE balance_minor >= :a``) are kept in minor
    units: the database compares integers exactly on every backend, where SQLite keeps the
    ``Money`` type as text."""
    return int(quantize(Decimal(amount), currency).scaleb(places(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units -> Decimal money with the currency's places."""
    return quantize(Decimal(int(minor)).scaleb(-places(currency)), currency)
