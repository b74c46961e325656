"""The app under test, as the benchmarks drive it: ``Server`` runs ``bench/server.py`` (the
production app factory under uvicorn, statement counter on) in a subprocess on 127.0.0.1 and always
stops it; ``API`` is one user's view of a tenant's API; ``order_statements`` places one order and
counts the statements the server sent for it.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from common import APP_ROLE, HERE, PASSWORD, ROOT

PACKAGES = ("core", "tenants", "plugins", "web", "workers")


def shadow_tree(commit: str, workdir: Path) -> tuple[Path, Path]:
    """``git worktree`` of ``commit`` plus a folder whose ``qudao/`` links to its packages."""
    tree = workdir / f"tree-{commit.replace('/', '_').replace('~', '_')}"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True,
                   capture_output=True)
    shadow = workdir / f"path-{tree.name}"
    (shadow / "qudao").mkdir(parents=True)
    for name in PACKAGES:
        (shadow / "qudao" / name).symlink_to(tree / name)
    return tree, shadow


def trees_to_measure(compare: str | None, workdir: Path) -> tuple[list[tuple[str, str | None]], list[Path]]:
    """The trees a benchmark serves, in order: BASE first (its ``PYTHONPATH`` folder) when
    ``--compare`` names one, then this tree; and the worktrees to remove afterwards."""
    trees: list[tuple[str, str | None]] = [("this tree", None)]
    cleanup: list[Path] = []
    if compare:
        tree, shadow = shadow_tree(compare, workdir)
        cleanup.append(tree)
        short = subprocess.run(["git", "rev-parse", "--short", compare], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        trees.insert(0, (f"base {short}", str(shadow)))
    return trees, cleanup


def remove_trees(trees: list[Path]) -> None:
    for tree in trees:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``bench/server.py`` in a subprocess on 127.0.0.1; always stopped by ``stop()``."""

    def __init__(self, url: str, workdir: Path, plugins: str | None, redis_url: str | None) -> None:
        self.url, self.workdir, self.plugins, self.redis_url = url, workdir, plugins, redis_url
        self.secret = secrets.token_urlsafe(32)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()  # kept across restarts, so API objects stay valid
        self.starts = 0
        self.pythonpath: str | None = None  # a folder with another tree's ``qudao`` package (bench/orders.py)
        self.workers = 1

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for /healthz; returns the seconds it took to become ready."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUDAO_")}
        env.update({"QUDAO_DATABASE_URL": self.url, "QUDAO_SECRET_KEY": self.secret, "QUDAO_COUNT_SQL": "1",
                    "QUDAO_VAR_DIR": str(self.workdir / "var"), "QUDAO_LOG_JSON": "1",
                    "QUDAO_LOG_LEVEL": "WARNING", "QUDAO_DB_APP_ROLE": APP_ROLE,
                    "PYTHONPATH": os.pathsep.join([*([self.pythonpath] if self.pythonpath else []), str(ROOT),
                                                   env.get("PYTHONPATH", "")])})
        if self.plugins is not None:
            env["QUDAO_BENCH_PLUGINS"] = self.plugins
        if self.redis_url:
            env["QUDAO_REDIS_URL"] = self.redis_url
        self.starts += 1
        self.log = (self.workdir / f"server-{self.starts}.log").open("wb")
        began = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, str(HERE / "server.py"), "--port", str(self.port),
                                      "--workers", str(self.workers)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {self.log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - began
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready in 120 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.proc = None

    def rss(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the server process, in MiB."""
        out: dict[str, float] = {}
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024
        return out

    def statements(self) -> int:
        return httpx.get(f"{self.base}/__bench/sql", timeout=10).json()["statements"]


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


class API:
    def __init__(self, base: str, slug: str, token: str) -> None:
        self.base, self.slug, self.token = base, slug, token

    def url(self, path: str) -> str:
        return f"{self.base}/t/{self.slug}/api/v1{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def put(self, path: str, body: dict[str, Any]) -> Any:
        resp = httpx.put(self.url(path), json=body, headers=self.headers, timeout=60)
        assert resp.status_code in (200, 201), f"PUT {path}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def login(self, email: str) -> API:
        resp = httpx.post(self.url("/auth/token"), json={"email": email, "password": PASSWORD}, timeout=60)
        assert resp.status_code == 200, resp.text
        return API(self.base, self.slug, resp.json()["token"])


def signup(base: str, slug: str) -> API:
    resp = httpx.post(f"{base}/api/v1/signup", json={"name": f"Bench {slug}", "slug": slug,
                                                     "admin_email": f"owner@{slug}.bench", "admin_password": PASSWORD},
                      timeout=60)
    assert resp.status_code == 201, resp.text
    return API(base, slug, resp.json()["token"])


def make_buyer(owner: API, code: str) -> API:
    email = f"{code.lower()}@{owner.slug}.bench"
    owner.put(f"/customers/{code}/users/{email}", {"password": PASSWORD})
    return owner.login(email)



def order_body(skus: list[str], rnd: random.Random, lines: int) -> dict[str, Any]:
    return {"lines": [{"sku": s, "qty": rnd.randint(1, 3)} for s in rnd.sample(skus, lines)]}


def order_statements(server: Server, client: httpx.Client, buyer: API, body: dict[str, Any]) -> int:
    """Place one order (``POST /orders``, a fresh Idempotency-Key); the SQL statements it took."""
    before = server.statements()
    resp = client.post(buyer.url("/orders"), json=body, headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text[:300]
    return server.statements() - before
