"""Helpers shared by API handlers: JSON bodies and upsert answers."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response

from qudao.core.errors import InputError

MAX_BODY = 2 * 1024 * 1024


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InputError("is too large", field="body")
    if not raw.strip():
        raise InputError("a JSON object is required", field="body")
    try:
        data = json.loads(raw, parse_float=str)
    except (ValueError, UnicodeDecodeError):
        raise InputError("is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InputError("must be a JSON object", field="body")
    return data


def upserted(body: Any, created: bool) -> Response[Any]:
    return Response(body, status_code=201 if created else 200)
