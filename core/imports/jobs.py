"""Large files as a background job.

The uploaded file and a small status document live under
``<var_dir>/imports/<tenant_id>/<job id>``; the job ``core.import`` carries only ids, re-reads
the file, reports progress into the status document and runs once (a repeated delivery of a
job that already started does nothing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.errors import InputError
from qudao.core.imports.domains import domain, import_file
from qudao.core.imports.files import MAX_FILE_BYTES, FileError, file_format

BACKGROUND_BYTES = 256 * 1024
JOB_ID_LEN = 32


def _jobs_dir(tenant_id: int) -> Any:
    from qudao.core.config import get_settings

    return get_settings().var_dir / "imports" / str(int(tenant_id))


def valid_job_id(job_id: str) -> bool:
    return len(job_id) == JOB_ID_LEN and all(c in "0123456789abcdef" for c in job_id)


def read_status(tenant_id: int, job_id: str) -> dict[str, Any] | None:
    import json

    if not valid_job_id(job_id):
        return None
    path = _jobs_dir(tenant_id) / f"{job_id}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_status(tenant_id: int, job_id: str, status: dict[str, Any]) -> None:
    import json
    import os

    folder = _jobs_dir(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{job_id}.json.tmp"
    tmp.write_text(json.dumps(status, default=str))
    os.replace(tmp, folder / f"{job_id}.json")


def queue_import(session: AsyncSession, tenant_id: int, kind: str, filename: str | None, data: bytes, *,
                 user_id: int | None, dry_run: bool) -> str:
    """Store the file and enqueue ``core.import`` (sent when the session commits)."""
    import secrets

    from qudao.core.db.session import enqueue_after_commit

    domain(kind)
    if not data:
        raise FileError("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise FileError("the file is larger than 20 MB", field="file")
    file_format(filename, data)
    job_id = secrets.token_hex(JOB_ID_LEN // 2)
    folder = _jobs_dir(tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job_id}.upload").write_bytes(data)
    write_status(tenant_id, job_id, {"state": "queued", "kind": kind, "filename": filename or "", "done": 0,
                                     "total": 0, "dry_run": dry_run, "user_id": user_id, "result": None})
    enqueue_after_commit(session, "core.import", job_id=job_id)
    return job_id


async def run_import_job(ctx: Any, job_id: str) -> None:
    """The ``core.import`` job: validate and import the stored file, all rows or none."""
    tenant_id = ctx.tenant.id
    status = read_status(tenant_id, job_id)
    if status is None or status.get("state") != "queued":
        return  # unknown, or already started once: never import twice
    status["state"] = "running"
    write_status(tenant_id, job_id, status)
    path = _jobs_dir(tenant_id) / f"{job_id}.upload"

    async def progress(done: int, total: int) -> None:
        status["done"], status["total"] = done, total
        write_status(tenant_id, job_id, status)

    try:
        data = path.read_bytes()
        result = await import_file(ctx.session, status["kind"], status["filename"], data,
                                   currency=ctx.tenant.currency, user_id=status.get("user_id"), progress=progress)
        if result.ok and not status.get("dry_run"):
            await ctx.session.commit()
        else:
            await ctx.session.rollback()
        status["result"] = result.as_dict()
        status["state"] = "done"
    except InputError as exc:
        await ctx.session.rollback()
        status["result"] = {"kind": status["kind"], "rows": 0, "created": 0, "updated": 0, "more_errors": 0,
                            "errors": [{"row": "", "column": e["field"], "message": e["message"]}
                                       for e in exc.errors]}
        status["state"] = "done"
    except Exception as exc:  # noqa: BLE001 - recorded for the admin, then re-raised for the worker log
        await ctx.session.rollback()
        status["state"], status["error"] = "failed", type(exc).__name__
        write_status(tenant_id, job_id, status)
        raise
    finally:
        path.unlink(missing_ok=True)
    status["done"] = status["total"] = status["result"]["rows"] if status.get("result") else 0
    write_status(tenant_id, job_id, status)


def _register_job() -> None:
    from qudao.core.jobs import job

    job("core.import", max_retries=0, time_limit=30 * 60 * 1000)(run_import_job)


_register_job()
