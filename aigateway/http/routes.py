"""One configured ``[[routes]]`` entry as routers see it: its refs and its document caps."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import LimitsConfig, RouteConfig, TenantLimits
from .limits import DocumentLimits

__all__ = ("RouteSpec",)


@dataclass(frozen=True)
class RouteSpec:
    """A route resolved from config once: which entities it serves and its upload caps."""

    config: RouteConfig
    ocr_refs: tuple[str, ...]
    """OCR entity ids, the default first (``refs`` of an ``ocr`` route)."""
    chat_refs: tuple[str, ...]
    """Chat entity ids."""
    limits: DocumentLimits
    """The route's caps (its ``max_size_upload``, else ``[limits]``'s), before any tenant's."""

    @classmethod
    def of(cls, config: RouteConfig, limits: LimitsConfig) -> RouteSpec:
        """Resolve ``config`` against the app-wide ``[limits]``."""
        ocr_refs = config.refs if config.plugin == "ocr" else config.ocr_model_refs
        return cls(
            config=config,
            ocr_refs=tuple(ocr_refs),
            chat_refs=tuple(config.chat_model_refs),
            limits=DocumentLimits.of(limits, config.max_size_upload),
        )

    @property
    def name(self) -> str:
        """A label for logs and metrics."""
        return f"{self.config.plugin}:{self.config.path}"

    @property
    def path(self) -> str:
        """Where the route is mounted."""
        return self.config.path

    def document_limits(self, tenant: TenantLimits) -> DocumentLimits:
        """The caps of one request of a tenant with ``tenant`` limits on this route."""
        return self.limits.for_tenant(tenant)
