"""The bench's own server launcher: the production app factory under uvicorn, plus an
optional SQL statement counter. Core is not modified for benchmarking.

    QUDAO_COUNT_SQL=1 python bench/server.py --port 8123

With ``QUDAO_COUNT_SQL=1`` every statement the app sends to the database through any engine
(the request's pool and any side pool, including the per-transaction tenant binding)
increments a process-wide counter, readable at ``GET /__bench/sql`` (answered by this wrapper,
never by the app); ``GET /__bench/sql?log=1`` starts recording the statements' text and
``?log=0`` returns them (``log``) and stops. ``--workers N`` serves with N processes (each
counts its own statements; count with one).
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
LOG: list[list[str]] = []


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
        from sqlalchemy.engine import Engine

        def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            COUNT[0] += 1
            if LOG:
                LOG[0].append(" ".join(statement.split()))

        event.listen(Engine, "before_cursor_execute", _count)  # every engine: side pools too

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__bench/sql":
            answer: dict[str, Any] = {"statements": COUNT[0], "pid": os.getpid()}
            query = scope.get("query_string", b"")
            if query == b"log=1":
                LOG[:] = [[]]
            elif query == b"log=0":
                answer["log"] = LOG[0] if LOG else []
                LOG.clear()
            body = json.dumps(answer).encode()
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
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.workers > 1:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        uvicorn.run("server:build_app", factory=True, workers=args.workers, host="127.0.0.1", port=args.port,
                    log_level="warning", access_log=False, log_config=None, lifespan="on")
        return
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False, log_config=None,
                lifespan="on")


if __name__ == "__main__":
    sys.exit(main())
