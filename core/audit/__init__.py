"""Audit log of staff changes to money, prices, credit, stock and permissions.

Service functions call :func:`record` in the transaction of the change, so an entry
exists exactly when the change does. Entries are tenant-owned (RLS applies) and read
by the admin page ``/admin/audit`` and ``GET /audit``.
"""

from qudao.core.audit.models import AuditEntry
from qudao.core.audit.service import entries, entry_view, record

__all__ = ["AuditEntry", "entries", "entry_view", "record"]
