"""A real server process (``qudao serve`` or a bootstrap of it) on 127.0.0.1, as the suite's
multi-process tests and CI's fuzzing run one: a free port, waiting for ``/healthz``, stopping it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[Any], timeout: float, *, interval: float = 0.2) -> str | None:
    """Poll ``GET {base}/healthz`` until it answers 200: None then; otherwise why not (the process
    exited, or ``timeout`` seconds passed), for the caller's own error message."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return f"exited {proc.returncode}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return None
        if time.monotonic() > deadline:
            return f"not healthy after {timeout:.0f} s"
        time.sleep(interval)


def stop_group(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session=True``, so its
    workers go too), SIGKILL what is left after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
