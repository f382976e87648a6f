"""The tenant gate routers get: who is calling, and may they start a request now.

A router authenticates the caller (401 otherwise) and admits the request under the tenant's
rate and concurrency limits (429 otherwise); the :class:`~aigateway.tenancy.quotas.Admission`
it gets back is handed to the service, which charges pages or tokens through it, and released
by the router when the request is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .auth import KeyStore, Tenant
from .quotas import Admission, Quotas

__all__ = ("TenantGate",)


class TenantGate:
    """Authentication and admission for one app: its key store and its quotas."""

    def __init__(self, keys: KeyStore, quotas: Quotas) -> None:
        self.keys = keys
        self.quotas = quotas

    def authenticate(self, headers: Mapping[str, str], fields: dict[str, Any]) -> Tenant:
        """The caller's tenant from ``Authorization`` / ``x-api-key`` (401 otherwise); its id
        goes to the access-log ``fields``."""
        tenant = self.keys.authenticate(headers.get("authorization"), headers.get("x-api-key"))
        fields["tenant"] = tenant.id
        return tenant

    async def admit(self, tenant: Tenant) -> Admission:
        """Admit a request of ``tenant`` (rate and concurrency limits, 429 otherwise).

        The caller must ``await admission.release()`` when the request is done.
        """
        return await self.quotas.admit(tenant)
