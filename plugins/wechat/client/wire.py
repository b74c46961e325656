"""The wire format shared by the sync and async calls: bodies, answers, QR requests."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import httpx

from qudao.plugins.wechat.client.results import QrTicket, WeChatError

DEFAULT_BASE_URL = "https://api.weixin.qq.com"


MAX_VALUE_LENGTH = 20


QR_CREATE_PATH = "/cgi-bin/qrcode/create"


QR_EXPIRE_SECONDS = 600


def _truncate(data: Mapping[str, Any], limit: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):  # tolerate {"key": {"value": ...}}
            value = value.get("value", "")
        text = "" if value is None else str(value)
        out[str(key)] = {"value": text[:limit]}
    return out


def _decode(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise WeChatError(None, f"HTTP {response.status_code}")
    try:
        payload = json.loads(response.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise WeChatError(None, "unreadable response") from None
    if not isinstance(payload, dict):
        raise WeChatError(None, "unexpected response")
    return payload


def _json(body: Mapping[str, Any]) -> bytes:
    # ensure_ascii=False: WeChat expects raw UTF-8, not \\u escapes.
    return json.dumps(dict(body), ensure_ascii=False).encode("utf-8")


def _checked(payload: dict[str, Any], errcode: int) -> dict[str, Any]:
    if errcode != 0:
        raise WeChatError(errcode, str(payload.get("errmsg") or "error"))
    return payload


def _qr_request(scene: str, expire_seconds: int) -> dict[str, Any]:
    if not scene or len(scene) > 64:
        raise ValueError("scene_str must be 1-64 characters")
    return {"expire_seconds": int(expire_seconds), "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}}}


def _qr_ticket(payload: dict[str, Any]) -> QrTicket:
    ticket = payload.get("ticket")
    if not isinstance(ticket, str) or not ticket:
        raise WeChatError(None, "no ticket in response")
    try:
        expire = int(payload.get("expire_seconds") or 0)
    except (TypeError, ValueError):
        expire = 0
    return QrTicket(ticket, expire if expire > 0 else QR_EXPIRE_SECONDS, str(payload.get("url") or ""))


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value
