"""Settings read once from ``QUDAO_*`` environment variables.

Defaults are the embedded ones of DESIGN.md: a SQLite file under ``./var/``
and an in-process job broker, so ``qudao serve`` runs with no configuration.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _var_dir() -> Path:
    return Path(_env("QUDAO_VAR_DIR", "var") or "var").resolve()


def _default_secret(var_dir: Path) -> str:
    """A per-install random secret kept in ./var, so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    base_domain: str | None
    stripe_api_base: str | None
    stripe_secret_key: str | None
    stripe_webhook_secret: str | None
    wechat_api_base: str
    var_dir: Path
    db_app_role: str | None
    # PostgreSQL connections a web process keeps open once it has opened them (its most at once)
    db_pool_size: int = 30
    platform_fee_percent: str = "0"
    log_json: bool = False
    log_level: str = "INFO"  # WARNING drops the per-request access line (busy pods, benchmarks)
    # Proxies whose X-Forwarded-Proto / X-Forwarded-For are believed (IPs or CIDRs,
    # comma-separated, "*" for any); the public https URL marks every answer secure.
    trusted_proxies: str = ""
    public_url: str = ""
    # Seconds between passes of the in-process outbox relay (embedded mode, no Redis).
    outbox_relay_seconds: float = 5.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"


def load_settings() -> Settings:
    var_dir = _var_dir()
    database_url = _env("QUDAO_DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'qudao.db'}"
    return Settings(
        database_url=database_url,
        redis_url=_env("QUDAO_REDIS_URL"),
        secret_key=_env("QUDAO_SECRET_KEY") or _default_secret(var_dir),
        base_domain=_env("QUDAO_BASE_DOMAIN"),
        stripe_api_base=_env("QUDAO_STRIPE_API_BASE"),
        stripe_secret_key=_env("QUDAO_STRIPE_SECRET_KEY"),
        stripe_webhook_secret=_env("QUDAO_STRIPE_WEBHOOK_SECRET"),
        wechat_api_base=_env("QUDAO_WECHAT_API_BASE", "https://api.weixin.qq.com") or "",
        var_dir=var_dir,
        # On PostgreSQL the app switches to this non-owner role in every
        # transaction so row-level security applies even if the URL's user
        # owns the tables. Empty string disables it.
        db_app_role=_env("QUDAO_DB_APP_ROLE", "qudao_app"),
        db_pool_size=int(_positive(_env("QUDAO_DB_POOL_SIZE"), Settings.db_pool_size)),
        platform_fee_percent=_env("QUDAO_PLATFORM_FEE_PERCENT", "0") or "0",
        log_json=(_env("QUDAO_LOG_JSON", "0") == "1"),
        log_level=_log_level(_env("QUDAO_LOG_LEVEL")),
        trusted_proxies=_env("QUDAO_TRUSTED_PROXIES", "") or "",
        public_url=_env("QUDAO_PUBLIC_URL", "") or "",
        outbox_relay_seconds=_positive(_env("QUDAO_OUTBOX_RELAY_SECONDS"), 5.0),
    )


def _log_level(raw: str | None) -> str:
    """DEBUG, INFO, WARNING or ERROR (any case); anything else keeps INFO."""
    level = (raw or "").strip().upper()
    return level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"


def _positive(raw: str | None, default: float) -> float:
    """A positive number (seconds, a count) from the environment; anything else keeps the default."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings(settings: Settings | None = None) -> None:
    """Tests and the CLI swap settings explicitly rather than patching env mid-run."""
    global _settings
    _settings = settings
