"""What WeChat answered, classified: the errcode families, send results, QR tickets and errors."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass
from typing import Literal

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


PERMANENT_ERRCODES = frozenset({40003, 40037, 43004, 47001, 47003})


# 45009: daily quota.  The others need a human (wrong appid/secret, grant type,
# server IP not whitelisted): retrying in a few seconds cannot help.
RETRY_LATER_ERRCODES = frozenset({45009, 40002, 40013, 40125, 40164, 61004})


Status = Literal["sent", "permanent", "retry_later", "retry"]


_CHINA_TZ = _dt.timezone(_dt.timedelta(hours=8))


@dataclass(frozen=True)
class SendResult:
    status: Status
    errcode: int | None = None
    errmsg: str | None = None
    msgid: int | None = None
    retry_after: float | None = None  # seconds, for "retry_later" on 45009

    @property
    def ok(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True)
class QrTicket:
    """A temporary QR code: show it with ``showqrcode?ticket=``; ``url`` is its content."""

    ticket: str
    expire_seconds: int
    url: str = ""


class WeChatError(Exception):
    """An API answer with a non-zero ``errcode`` (``errcode`` is ``None`` for
    network errors, HTTP errors and unreadable answers)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def seconds_until_china_midnight(now: float | None = None) -> float:
    """WeChat daily quotas reset at 00:00 China time (UTC+8)."""
    current = _dt.datetime.fromtimestamp(time.time() if now is None else now, _CHINA_TZ)
    tomorrow = (current + _dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - current).total_seconds()


def classify_errcode(errcode: int | None, errmsg: str = "", now: float | None = None) -> SendResult:
    """Map a WeChat ``errcode`` (``None`` = network/HTTP failure) to a result."""
    if errcode == 0:
        return SendResult("sent", 0, errmsg or "ok")
    if errcode in PERMANENT_ERRCODES:
        return SendResult("permanent", errcode, errmsg)
    if errcode == 45009:
        return SendResult("retry_later", errcode, errmsg, retry_after=seconds_until_china_midnight(now))
    if errcode in RETRY_LATER_ERRCODES:
        return SendResult("retry_later", errcode, errmsg)
    return SendResult("retry", errcode, errmsg)
