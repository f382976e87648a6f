"""API keys to tenants.

Keys are stored as SHA-256 digests (``sha256:<hex>`` in config, or the key itself through
``${ENV}``, hashed at load time). A request's key is hashed once and looked up; the digest
lookup never compares key bytes. No key, digest or prefix of either ever reaches a message or log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..config import BudgetConfig, Settings, TenantConfig, TenantLimits
from ..errors import AuthenticationError, ConfigError

__all__ = ("ANONYMOUS", "KeyStore", "Tenant", "hash_key")


@dataclass(frozen=True)
class Tenant:
    """Who is calling: an id, the entities it may use (``None``: all), its limits and budget."""

    id: str
    allowed_refs: frozenset[str] | None = None
    limits: TenantLimits = field(default_factory=TenantLimits)
    budget: BudgetConfig | None = None

    def narrow(self, refs: list[str]) -> list[str]:
        """``refs`` restricted to this tenant's allow-list, order kept."""
        if self.allowed_refs is None:
            return list(refs)
        return [r for r in refs if r in self.allowed_refs]


ANONYMOUS = Tenant("anonymous")
"""The tenant of every request when no ``[[tenants]]`` are configured (auth off)."""


def hash_key(key: str) -> str:
    """The config form of a key: ``sha256:<hex digest>``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _digest(entry: str, where: str) -> bytes:
    if entry.startswith("sha256:"):
        try:
            raw = bytes.fromhex(entry[7:])
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ConfigError(f"{where}: a sha256: key digest needs 64 hex digits")
        return raw
    if len(entry) < 8:
        raise ConfigError(f"{where}: an API key must have at least 8 characters")
    return hashlib.sha256(entry.encode()).digest()


def _tenant(cfg: TenantConfig) -> Tenant:
    allowed = frozenset(cfg.allowed_refs) if cfg.allowed_refs is not None else None
    return Tenant(cfg.id, allowed, cfg.limits, cfg.budget)


class KeyStore:
    """Resolves ``Authorization: Bearer <key>`` (or ``x-api-key``) to a :class:`Tenant`."""

    def __init__(self, settings: Settings) -> None:
        self._by_digest: dict[bytes, Tenant] = {}
        for i, t in enumerate(settings.tenants):
            tenant = _tenant(t)
            for j, entry in enumerate(t.api_keys):
                where = f"{settings.source}: $.tenants[{i}].api_keys[{j}]"
                digest = _digest(entry, where)
                other = self._by_digest.get(digest)
                if other is not None and other.id != tenant.id:
                    raise ConfigError(f"{where}: the same key is also given to tenant {other.id!r}")
                self._by_digest[digest] = tenant
        self.enabled = bool(settings.tenants)
        self.tenants = {t.id: _tenant(t) for t in settings.tenants}

    def authenticate(self, authorization: str | None, api_key: str | None = None) -> Tenant:
        """The tenant owning the presented key; :data:`ANONYMOUS` when auth is off.

        Raises:
            AuthenticationError: no key, a malformed header, or a key no tenant owns.
        """
        if not self.enabled:
            return ANONYMOUS
        key = None
        if authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthenticationError(
                    "the Authorization header must be 'Bearer <API key>'", param="authorization"
                )
            key = value.strip()
        elif api_key:
            key = api_key.strip()
        if not key:
            raise AuthenticationError(
                "no API key: send 'Authorization: Bearer <API key>'", param="authorization"
            )
        digest = hashlib.sha256(key.encode()).digest()
        # Looking up the SHA-256 of the key: whatever timing the dict leaks is about a digest
        # the attacker already knows, never about a stored key, so this is constant-time with
        # respect to the secrets (no early-exit comparison of key bytes happens anywhere).
        tenant = self._by_digest.get(digest)
        if tenant is None:
            raise AuthenticationError("invalid API key", param="authorization")
        return tenant
