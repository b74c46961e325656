"""What a hook receives about the current request: tenant, session, user, customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# Imported at run time (not under TYPE_CHECKING): Litestar resolves these hints for DI.
from qudao.core.auth.models import User
from qudao.core.customers.models import Customer
from qudao.core.plugins.host import TenantHooks
from qudao.tenants.models import Tenant


@dataclass
class TenantContext:
    tenant: Tenant
    session: AsyncSession
    hooks: TenantHooks
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    user: User | None = None
    customer: Customer | None = None
    guest: dict[str, Any] | None = None

    @property
    def enabled(self) -> frozenset[str]:
        return self.hooks.enabled

    def is_enabled(self, plugin: str) -> bool:
        return plugin in self.hooks.enabled

    def settings(self, plugin: str) -> dict[str, Any]:
        return self.plugin_settings.get(plugin, {})

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.kind == "staff"

    @property
    def is_buyer(self) -> bool:
        return not self.is_staff
