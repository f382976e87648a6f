"""The per-app runtime: settings, registry, keys, services and the logger, built once.

Nothing here is module-level: :func:`aigateway.create_app` builds one :class:`Gateway` per app,
so two apps with two configs live side by side in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .auth import KeyStore, Tenant
from .batches import BatchService, Services, build_batch_service
from .chat.service import ChatService
from .config import RouteConfig, Settings
from .files import FileStore, build_file_store
from .limits import effective_upload_limit
from .metrics import Metrics
from .observability import make_logger
from .ocr.service import OcrService
from .quotas import Admission, Quotas
from .registry import Registry
from .state import StateBackend, StateUnavailableError, StateUsage, make_backend
from .usage import MemoryUsage, UsageStore

__all__ = ("Gateway", "RouteContext")


@dataclass(frozen=True)
class RouteContext:
    """One configured route: its refs and upload cap, resolved from config."""

    config: RouteConfig
    ocr_refs: tuple[str, ...]
    chat_refs: tuple[str, ...]
    max_size_upload: int

    @property
    def name(self) -> str:
        """A label for logs and metrics."""
        return f"{self.config.plugin}:{self.config.path}"

    def upload_limit(self, tenant: Tenant) -> int:
        """Decoded-bytes cap for ``tenant`` on this route."""
        return effective_upload_limit(self.max_size_upload, tenant)


class Gateway:
    """Everything one app needs at request time."""

    def __init__(self, settings: Settings, previous: Gateway | None = None) -> None:
        """Build from ``settings``; ``previous`` (a reload) hands over its counters, usage and
        metrics when ``[state]`` is unchanged."""
        self.settings = settings
        self.keys = KeyStore(settings)
        self.registry = Registry(settings)
        self.logger: Any = make_logger(settings.logging)
        self.state: StateBackend
        self.usage: UsageStore
        self.metrics: Metrics
        self._owns_state = True
        if previous is not None and previous.settings.state == settings.state:
            self.state, self.usage, self.metrics = previous.state, previous.usage, previous.metrics
            previous._owns_state = False
        else:
            self.state, self.metrics = make_backend(settings.state, self.logger), Metrics()
            # With Redis, usage totals are shared by every replica like the limits are.
            self.usage = (
                StateUsage(self.state, settings.state.prefix, self._usage_lost)
                if settings.state.backend == "redis"
                else MemoryUsage()
            )
        self.quotas = Quotas(self.state, settings.state, self.logger)
        self.ocr = OcrService(self.registry)
        self.ocr.metrics = self.metrics
        self.chat = ChatService(self.registry, self.usage)
        self._wire_files_and_batches(previous)
        self.in_flight = 0
        """Requests this gateway is serving (a retired gateway closes when it reaches 0)."""
        self.routes = [self._route(r) for r in settings.routes]
        self._started = False

    def _wire_files_and_batches(self, previous: Gateway | None) -> None:
        """The files store and the batch service; a reload with the same ``[files]`` and
        ``[state]`` keeps the running ones and rebinds them to the new services, so jobs in
        flight carry on and two runners never share one job directory (``[batches]`` changes
        take effect at the next restart)."""
        settings = self.settings
        self.files: FileStore | None = None
        self.batches: BatchService | None = None
        self._owns_features = True
        if not settings.files.enabled:
            return
        old = previous.settings if previous is not None else None
        same = old is not None and (old.files, old.state) == (settings.files, settings.state)
        if same and previous is not None and previous.files is not None:
            self.files, self.batches = previous.files, previous.batches
            previous._owns_features = False
        else:
            self.files = build_file_store(settings)
        services = Services(
            ocr=self.ocr,
            chat=self.chat,
            quotas=self.quotas,
            keys=self.keys,
            usage=self.usage,
            limits=settings.limits,
            documents=self.files.documents_for,
            metrics=self.metrics,
        )
        if self.batches is not None:
            self.batches.rebind(services, lambda: self.registry.fetcher)
        elif settings.batches.enabled:
            self.batches = build_batch_service(
                settings, self.files, services, lambda: self.registry.fetcher, self.logger
            )

    def _route(self, r: RouteConfig) -> RouteContext:
        ocr_refs = r.refs if r.plugin == "ocr" else r.ocr_model_refs
        return RouteContext(
            config=r,
            ocr_refs=tuple(ocr_refs),
            chat_refs=tuple(r.chat_model_refs),
            max_size_upload=r.max_size_upload or self.settings.limits.max_size_upload,
        )

    def authenticate(self, headers: Any) -> Tenant:
        """The caller's tenant from ``Authorization`` / ``x-api-key`` (401 otherwise)."""
        return self.keys.authenticate(headers.get("authorization"), headers.get("x-api-key"))

    async def admit(self, headers: Any, fields: dict[str, Any]) -> tuple[Tenant, Admission]:
        """Authenticate and admit a request (rate and concurrency limits, 401/429 otherwise).

        The caller must ``await admission.release()`` when the request is done.
        """
        tenant = self.authenticate(headers)
        fields["tenant"] = tenant.id
        return tenant, await self.quotas.admit(tenant)

    # --- RequestHooks: called by the access-log middleware for every request ---------------

    def request_started(self) -> None:
        """Count a request in flight."""
        self.metrics.in_flight += 1
        self.in_flight += 1

    async def request_done(self, fields: dict[str, Any], status: int, seconds: float) -> None:
        """Metrics for every request; usage for OCR requests (chat records its own tokens)."""
        self.metrics.in_flight -= 1
        self.in_flight -= 1
        self.metrics.record_request(fields, status, seconds)
        if fields.get("kind") == "ocr" and "tenant" in fields:
            await self.usage.record(
                str(fields["tenant"]),
                str(fields.get("entity", "-")),
                requests=1,
                errors=int(status >= 400),
                pages=int(fields.get("pages") or 0),
                bytes_in=int(fields.get("bytes_in") or 0),
                bytes_out=int(fields.get("bytes_out") or 0),
            )

    def _usage_lost(self, exc: Exception) -> None:
        if isinstance(exc, StateUnavailableError):
            return  # an outage: logged once when it began (records lost are counted)
        self.logger.warning(
            "usage not recorded: state backend unreachable", error=type(exc).__name__
        )

    async def start(self) -> None:
        """Warm providers up (run by the app lifespan; embedded apps may skip it)."""
        if not self._started:
            self._started = True
            await self.registry.start()
            if self.batches is not None:
                await self.batches.ensure_started()

    async def aclose(self) -> None:
        """Close clients and pools (run by the app lifespan, or by an embedding host)."""
        if self._owns_features:
            if self.batches is not None:
                await self.batches.aclose()
            if self.files is not None:
                await self.files.aclose()
        await self.registry.aclose()
        await self.quotas.aclose()
        if self._owns_state:
            await self.state.aclose()
        self._started = False
