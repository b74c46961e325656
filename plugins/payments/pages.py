"""Payments pages (filled in below)."""

from typing import Any

HANDLERS: list[Any] = []
