"""Logging: structlog everywhere, JSON lines in production, readable console locally.

``configure_logging(json=True)`` makes every log line (ours, uvicorn's, SQLAlchemy's,
Dramatiq's) one JSON object with at least ``timestamp``, ``level``, ``event``,
``logger``, ``request_id`` and ``tenant``; the request middleware binds the last
two for the duration of a request (structlog contextvars), so a line written
deep inside a service still says which request and which tenant it belongs to.

``httpx``/``httpcore`` are held at WARNING: at INFO they log full URLs, and some
of ours carry secrets (WeChat ``access_token=…``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

# Loggers that would leak secrets (URLs with tokens) or flood at INFO.
QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING}
CONTEXT_KEYS = ("request_id", "tenant")


def _context_defaults(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Every line carries request_id and tenant (null outside a request), so log queries can rely on them."""
    for key in CONTEXT_KEYS:
        event.setdefault(key, None)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _context_defaults,
    ]


def configure_logging(json: bool = False, level: str | int = "INFO", stream: Any = None) -> None:
    """Configure structlog and the standard library's root logger once per process (idempotent)."""
    level_no = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    shared = _shared_processors()
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info if json else structlog.processors.ExceptionPrettyPrinter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # reconfigurable (tests, CLI),
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if json else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    handler._qudao = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_qudao", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_no)
    # uvicorn installs its own handlers; route its lines through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
