"""Where access tokens are cached: the store protocol and a process-local store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenStore(Protocol):
    """Where access tokens are cached, keyed by a string (one per account).

    ``get`` returns the token, or ``None`` if absent or expired; ``set`` stores
    it for ``ttl`` seconds.  For the async client methods, both may also be
    coroutine functions (e.g. an async Redis store).
    """

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, token: str, ttl: float) -> None: ...


class MemoryTokenStore:
    """Process-local token store (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            token, expires_at = item
            if self._clock() >= expires_at:
                del self._items[key]
                return None
            return token

    def set(self, key: str, token: str, ttl: float) -> None:
        with self._lock:
            self._items[key] = (token, self._clock() + ttl)
