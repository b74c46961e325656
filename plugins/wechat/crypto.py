"""Secrets at rest and signed codes.

* The AppSecret and the callback token are stored encrypted (Fernet, key derived with
  HKDF-SHA256 from ``QUDAO_SECRET_KEY``). Core stores plugin settings as given, so a
  ``before_flush`` listener encrypts this plugin's secret settings before they reach the
  database; readers call :func:`reveal`. Cached access tokens are encrypted the same way.
* OAuth ``state`` and QR scene codes are HMAC-signed (key derived from the same secret
  key) and name the tenant and the user; they are alphanumeric, as WeChat requires of
  ``state`` (at most 128 bytes) and ``scene_str`` (at most 64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event
from sqlalchemy.orm import Session

from qudao.core.config import get_settings
from qudao.core.plugins.models import PluginState

PLUGIN = "wechat"
SECRET_SETTINGS = ("app_secret", "callback_token")
PREFIX = "fernet:v1:"
OAUTH_MAX_AGE = 30 * 60  # seconds a "bind with WeChat" link stays valid
SCENE_MAX_AGE = 30 * 24 * 3600  # temporary QR codes live at most 30 days


def _derive(purpose: bytes) -> bytes:
    secret = get_settings().secret_key.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qudao-wechat", info=purpose).derive(secret)


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"settings-encryption")))


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def reveal(value: Any) -> str:
    """The plain value of a stored secret ('' when unset or unreadable, e.g. after a key change)."""
    if not value:
        return ""
    text = str(value)
    if not text.startswith(PREFIX):
        return text  # not yet encrypted (written outside an ORM flush)
    try:
        return _fernet().decrypt(text[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return ""


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


@event.listens_for(Session, "before_flush")
def _encrypt_secret_settings(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, PluginState) or obj.name != PLUGIN or not obj.settings:
            continue
        settings = dict(obj.settings)
        changed = False
        for key in SECRET_SETTINGS:
            value = settings.get(key)
            if isinstance(value, str) and value and value != "********" and not is_encrypted(value):
                settings[key] = encrypt(value.strip())
                changed = True
        if changed:
            obj.settings = settings


# --- signed codes -------------------------------------------------------------------

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError("negative")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if n == 0:
            return out


def _sig(purpose: str, payload: str, length: int) -> str:
    key = _derive(b"signed-codes")
    return hmac.new(key, f"{purpose}|{payload}".encode(), hashlib.sha256).hexdigest()[:length]


@dataclass(frozen=True)
class Signed:
    tenant_id: int
    user_id: int
    issued_at: int


def _sign(purpose: str, tenant_id: int, user_id: int, now: float | None, length: int) -> str:
    payload = "Z".join((_b36(tenant_id), _b36(user_id), _b36(int(now if now is not None else time.time()))))
    return f"{payload}Z{_sig(purpose, payload, length)}"


def _verify(purpose: str, code: Any, max_age: int, now: float | None, length: int) -> Signed | None:
    if not isinstance(code, str) or len(code) > 128:
        return None
    parts = code.strip().split("Z")
    if len(parts) != 4 or not all(parts) or any(c not in _B36 for c in "".join(parts)):
        return None
    payload = "Z".join(parts[:3])
    if not hmac.compare_digest(_sig(purpose, payload, length), parts[3]):
        return None
    tenant_id, user_id, issued = (int(p, 36) for p in parts[:3])
    current = now if now is not None else time.time()
    if issued > current + 60 or current - issued > max_age:
        return None
    return Signed(tenant_id, user_id, issued)


def oauth_state(tenant_id: int, user_id: int, now: float | None = None) -> str:
    return _sign("oauth", tenant_id, user_id, now, 40)


def read_oauth_state(state: Any, now: float | None = None) -> Signed | None:
    return _verify("oauth", state, OAUTH_MAX_AGE, now, 40)


def scene_code(tenant_id: int, user_id: int, now: float | None = None) -> str:
    """At most 64 characters (WeChat's ``scene_str`` limit)."""
    return _sign("scene", tenant_id, user_id, now, 24)


def read_scene_code(code: Any, now: float | None = None) -> Signed | None:
    return _verify("scene", code, SCENE_MAX_AGE, now, 24)
