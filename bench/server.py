"""The bench's own server launcher: the production app factory under uvicorn, plus an
optional SQL statement counter. Core is not modified for benchmarking.

    QUDAO_COUNT_SQL=1 python bench/server.py --port 8123

With ``QUDAO_COUNT_SQL=1`` every statement the app sends to the database (including
``SET LOCAL ROLE`` / ``set_config`` per transaction) increments a process-wide counter,
readable at ``GET /__bench/sql`` (answered by this wrapper, never by the app).
``QUDAO_BENCH_PLUGINS=a,b`` loads only those plugins (default: every installed one).
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

COUNT = [0]


def build_app() -> Any:
    from qudao.core.config import get_settings
    from qudao.core.plugins.host import PluginHost, get_host, set_host

    only = os.environ.get("QUDAO_BENCH_PLUGINS")
    if only is not None:
        host = PluginHost()
        host.load_entry_points(only={n for n in only.split(",") if n})
        set_host(host)
    settings = get_settings()
    try:
        from qudao.core.logging import configure_logging

        configure_logging(json=settings.log_json, level=os.environ.get("QUDAO_LOG_LEVEL", "INFO"))
    except ImportError:  # pragma: no cover - older trees
        pass
    from qudao.web.app import create_app

    app = create_app(settings, get_host())
    if os.environ.get("QUDAO_COUNT_SQL") == "1":
        from sqlalchemy import event

        def _count(*_args: Any) -> None:
            COUNT[0] += 1

        event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", _count)

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench/sql":
            body = json.dumps({"statements": COUNT[0], "pid": os.getpid()}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return wrapper


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False, log_config=None,
                lifespan="on")


if __name__ == "__main__":
    sys.exit(main())
