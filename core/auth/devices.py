"""Known-device cookies: a browser that signed in to an account before carries a signed
note of it, so a throttled account still lets its owner in from that browser.

The cookie holds up to ``MAX_ENTRIES`` entries ``<device>.<account digest>.<mac>`` joined
by ``~``; the MAC (HMAC-SHA256 with the install's secret key) binds the device id to the
account, so a cookie for one account is worth nothing for another, and it cannot be forged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "qd_device"
MAX_AGE = 365 * 86400
MAX_ENTRIES = 5


def _digest(account_key: str) -> str:
    return hashlib.sha256(account_key.encode()).hexdigest()[:20]


def _mac(secret: str, device: str, digest: str) -> str:
    return hmac.new(secret.encode(), f"device:{device}.{digest}".encode(), hashlib.sha256).hexdigest()[:32]


def _entries(raw: str | None) -> list[tuple[str, str, str]]:
    out = []
    for part in (raw or "").split("~")[:MAX_ENTRIES]:
        bits = part.split(".")
        if len(bits) == 3 and all(b.isalnum() for b in bits):
            out.append((bits[0], bits[1], bits[2]))
    return out


def known_device(secret: str, raw: str | None, account_key: str) -> str | None:
    """The device id if ``raw`` holds a valid entry for this account, else None."""
    digest = _digest(account_key)
    for device, d, mac in _entries(raw):
        if d == digest and hmac.compare_digest(mac, _mac(secret, device, d)):
            return device
    return None


def remember_device(secret: str, raw: str | None, account_key: str) -> tuple[str, str]:
    """(device id, new cookie value) after a successful sign-in to this account."""
    device = known_device(secret, raw, account_key) or secrets.token_hex(8)
    digest = _digest(account_key)
    entry = f"{device}.{digest}.{_mac(secret, device, digest)}"
    others = [".".join(e) for e in _entries(raw) if e[1] != digest]
    return device, "~".join([entry, *others][:MAX_ENTRIES])
