"""Fault-test support: private servers the tests may stop and kill without touching the
machine's shared PostgreSQL and Redis.

* :class:`PrivateRedis`: ``redis-server`` on a free loopback port with no persistence;
  ``stop()`` and ``start()`` again on the same port simulate an outage.
* :class:`WorkerProcess`: the real ``qudao worker`` command (Dramatiq workers plus the
  outbox relay fork) against a given Redis and the test database, pointed at the test
  doubles; ``kill()`` SIGKILLs its whole process group mid-job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The worker command after installing the test run's plugin host (built-ins only) and the
# Stripe doubles' bases (two servers: localstripe for payments, our double for Connect).
WORKER_BOOT = (
    "import os, sys; "
    "from tests.conftest import builtin_host; "
    "from qudao.core.plugins.host import set_host; "
    "set_host(builtin_host()); "
    "from qudao.plugins.payments import stripe_client; "
    "stripe_client.set_api_bases(payments=os.environ.get('TEST_STRIPE_PAYMENTS'), "
    "connect=os.environ.get('TEST_STRIPE_CONNECT')); "
    "from qudao.web.cli import main; "
    "main(sys.argv[1:])"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed for the fault tests (apt-get install redis-server)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return self
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


class WorkerProcess:
    def __init__(self, settings: Any, redis_url: str, logdir: Path, *, wechat_base: str | None = None,
                 stripe_payments: str | None = None, stripe_connect: str | None = None,
                 extra_env: dict[str, str] | None = None, threads: int = 2) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUDAO_", "TEST_STRIPE_"))}
        if os.environ.get("QUDAO_TEST_PLUGINS"):
            env["QUDAO_TEST_PLUGINS"] = os.environ["QUDAO_TEST_PLUGINS"]
        env.update({
            "QUDAO_DATABASE_URL": settings.database_url, "QUDAO_REDIS_URL": redis_url,
            "QUDAO_SECRET_KEY": settings.secret_key, "QUDAO_VAR_DIR": str(settings.var_dir),
            "QUDAO_DB_APP_ROLE": settings.db_app_role or "", "PYTHONPATH": str(ROOT),
            "QUDAO_PLATFORM_FEE_PERCENT": settings.platform_fee_percent,
            **({"QUDAO_STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret}
               if settings.stripe_webhook_secret else {}),
            **({"QUDAO_WECHAT_API_BASE": wechat_base} if wechat_base else {}),
            **({"TEST_STRIPE_PAYMENTS": stripe_payments} if stripe_payments else {}),
            **({"TEST_STRIPE_CONNECT": stripe_connect} if stripe_connect else {}),
            **(extra_env or {}),
        })
        self.env, self.threads = env, threads
        self.log = logdir / f"worker-{free_port()}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER_BOOT, "worker", "--processes", "1", "--threads", str(self.threads)],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group (workers and relay): no clean shutdown, no acks."""
        if self.alive():
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(predicate: Any, timeout: float, what: str, on_fail: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            detail = on_fail() if on_fail else ""
            raise AssertionError(f"timed out waiting for {what}\n{detail}")
        time.sleep(0.2)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free port, owned by the
    ``postgres`` user when the tests run as root (initdb refuses root)."""

    def __init__(self, workdir: Path) -> None:
        import glob

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.fail("PostgreSQL server binaries are needed for the restart test (apt-get install postgresql)")
        import tempfile

        self.bin = Path(bins[-1]).parent
        # its own folder under /tmp: pytest's tmp_path is private to root, and the cluster's owner must reach it
        self.workdir = Path(tempfile.mkdtemp(prefix="qudao-pg-"))
        self.dir, self.port = self.workdir / "pgdata", free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            self.as_user = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def init(self) -> PrivatePostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres", "--no-sync")
        return self

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir), "-l", str(self.workdir / "pg.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)
