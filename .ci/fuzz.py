"""CI: fuzz the API with Schemathesis against a served app and a real tenant.

Starts ``qudao serve`` on a fresh SQLite file (or the database in ``QUDAO_FUZZ_DATABASE_URL``),
which creates the demo brand (``/t/demo``: catalog, customers, stock, orders), takes a staff
admin token and a buyer token from ``POST /auth/token``, and runs ``st run`` twice, each run
bounded in time and examples, with the tenant slug fixed (random slugs only reach 404s).
Fails on any 5xx and on any response that breaks its own schema. Usage::

    .venv/bin/python .ci/fuzz.py [--max-time 90] [--max-examples 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from qudao.testing.served import free_port, stop_group, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SLUG = "demo"
STAFF = ("admin@demo.qudao.test", "demo-password-123")
BUYER = ("buyer@sh-001.test", "demo-password-123")
CHECKS = "not_a_server_error,response_schema_conformance"


def token(base: str, email: str, password: str) -> str:
    resp = httpx.post(f"{base}/t/{SLUG}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30)
    resp.raise_for_status()
    return str(resp.json()["token"])


def first(base: str, bearer: str, path: str, key: str) -> str | None:
    """A real value from the demo brand (so ids in paths reach the handlers, not only 404s)."""
    resp = httpx.get(f"{base}/t/{SLUG}/api/v1{path}", headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
    if resp.status_code != 200:
        return None
    body = resp.json()
    items = body.get("items", []) if isinstance(body, dict) else body
    return str(items[0][key]) if items and key in items[0] else None


def fixed_parameters(base: str, bearer: str) -> dict[str, str]:
    found = {"tenant_slug": SLUG, "sku": first(base, bearer, "/products?limit=1", "sku"),
             "number": first(base, bearer, "/orders?limit=1", "number"),
             "customer": first(base, bearer, "/customers?limit=1", "code"),
             "tier": first(base, bearer, "/tiers", "code")}
    return {k: v for k, v in found.items() if v}


def run_st(base: str, bearer: str, workdir: Path, args: argparse.Namespace, label: str,
           extra: list[str], params: dict[str, str]) -> int:
    config = workdir / f"schemathesis-{label}.toml"
    lines = ["[parameters]", *(f'"path.{k}" = "{v}"' for k, v in params.items())]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"fixed path parameters: {params}", flush=True)
    cmd = [str(VENV_BIN / "st"), "--config-file", str(config), "run", f"{base}/schema/openapi.json",
           "--url", base, "--header", f"Authorization: Bearer {bearer}", "--checks", CHECKS,
           "--max-examples", str(args.max_examples), "--max-time", str(args.max_time), "--seed", str(args.seed),
           "--phases", "examples,coverage,fuzzing", "--request-timeout", "30", "--workers", "2",
           "--no-shrink", "--suppress-health-check", "all", "--warnings", "off",
           "--report", "junit", "--report-junit-path", str(workdir / f"{label}.xml"), *extra]
    print(f"== schemathesis ({label}): {' '.join(cmd[3:6])} …", flush=True)
    return subprocess.call(cmd, cwd=workdir)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=90, help="seconds per run")
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="qudao-fuzz-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUDAO_")}
    env.update({"QUDAO_VAR_DIR": str(workdir / "var"), "QUDAO_SECRET_KEY": "fuzz-" + "k" * 40,
                "QUDAO_DATABASE_URL": os.environ.get("QUDAO_FUZZ_DATABASE_URL")
                or f"sqlite+aiosqlite:///{workdir / 'var' / 'fuzz.db'}"})
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen([str(VENV_BIN / "qudao"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if (why := wait_healthy(base, server, 180, interval=0.5)) is not None:
            print((workdir / "server.log").read_text(errors="replace")[-4000:])
            print(f"the app did not start ({why})")
            return 1
        staff, buyer = token(base, *STAFF), token(base, *BUYER)
        params = fixed_parameters(base, staff)
        failed = run_st(base, staff, workdir, args, "staff", [], params)
        # the buyer's own surface: products, quotes, orders, payments
        failed |= run_st(base, buyer, workdir, args, "buyer",
                         ["--include-path-regex", r"/(products|cart|orders|credit|wechat|payments|rebates)"], params)
        errors = [line for line in (workdir / "server.log").read_text(errors="replace").splitlines()
                  if "Traceback" in line or '"status": 500' in line or "'status': 500" in line]
        if errors:
            print(f"the server logged {len(errors)} error(s):")
            print("\n".join(errors[:20]))
            failed = 1
        return 1 if failed else 0
    finally:
        stop_group(server, timeout=20)
        log.close()
        if os.environ.get("QUDAO_FUZZ_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    sys.exit(main())
