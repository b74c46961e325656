"""Callback signatures: ``sha1`` of the sorted token, timestamp and nonce."""

from __future__ import annotations

import hashlib
import hmac


def signature_for(token: str, timestamp: str, nonce: str) -> str:
    """``sha1("".join(sorted([token, timestamp, nonce])))`` as lowercase hex."""
    joined = "".join(sorted([str(token), str(timestamp), str(nonce)]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def verify_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """Check a callback's ``signature`` query parameter (constant time)."""
    if not signature or not token:
        return False
    expected = signature_for(token, timestamp, nonce).encode("ascii")
    return hmac.compare_digest(expected, str(signature).strip().lower().encode("utf-8"))
