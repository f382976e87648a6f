"""The per-app runtime: settings, clients, registries, tenancy, services and the logger.

Nothing here is module-level: :func:`aigateway.create_app` builds one :class:`Runtime` per app,
so two apps with two configs live side by side in one process. The runtime builds every part
once and hands each router only the collaborators it uses; the access-log middleware tells it
when requests start and end, which feeds the metrics (services record usage themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from ..batches import BatchService, BudgetGate, Services, build_batch_service
from ..chat.providers.base import ChatProviderClass
from ..chat.registry import ChatRegistry
from ..chat.service import ChatService
from ..config import Settings
from ..errors import ConfigError
from ..files import FileStore, build_file_store
from ..http.metrics import Metrics
from ..http.routes import RouteSpec
from ..ocr.cache import OcrCache, make_cache
from ..ocr.engine.health import RESTART_REASONS
from ..ocr.providers.base import OcrProvider
from ..ocr.registry import OcrRegistry
from ..ocr.service import OcrService
from ..ops.router import OpsDeps
from ..tenancy.auth import KeyStore
from ..tenancy.gate import TenantGate
from ..tenancy.quotas import Quotas
from ..tenancy.state import StateBackend, StateUnavailableError, make_backend
from ..tenancy.usage import MemoryUsage, StateUsage, UsageStore
from ..tracing import Tracer, make_tracer
from ..upstream.clients import UpstreamClients
from .logs import make_logger

__all__ = ("Runtime",)


class Runtime:
    """Everything one app needs at request time."""

    def __init__(
        self,
        settings: Settings,
        previous: Runtime | None = None,
        *,
        ocr_providers: Mapping[str, type[OcrProvider]] | None = None,
        chat_providers: Mapping[str, ChatProviderClass] | None = None,
        span_exporter: Any = None,
    ) -> None:
        """Build from ``settings``; ``previous`` (a reload) hands over its counters, usage and
        metrics when ``[state]`` is unchanged. ``ocr_providers`` / ``chat_providers`` add or
        replace adapter classes by name for this app; ``span_exporter`` replaces the OTLP
        exporter when ``[tracing]`` is on.

        Raises:
            ConfigError: what only building can check (keys, providers and their options,
                ``[state] url``), naming the key path.
        """
        self.settings = settings
        keys = KeyStore(settings)
        self.logger: Any = make_logger(settings.logging)
        self.tracer: Tracer | None = make_tracer(
            settings.tracing, settings.source, exporter=span_exporter
        )
        """Spans and their export (``None``: ``[tracing]`` is off, and nothing is traced)."""
        self.clients = UpstreamClients(settings.fetch, self.tracer)
        self.ocr_registry = OcrRegistry(settings, self.clients, providers=ocr_providers)
        self.chat_registry = ChatRegistry(settings, self.clients, providers=chat_providers)
        self.state: StateBackend
        self.usage: UsageStore
        self.metrics: Metrics
        self._owns_state = True
        if previous is not None and previous.settings.state == settings.state:
            self.state, self.usage, self.metrics = previous.state, previous.usage, previous.metrics
            previous._owns_state = False
        else:
            self.state = make_backend(settings.state, self.logger, settings.source)
            self.metrics = Metrics()
            # With Redis, usage totals are shared by every replica like the limits are.
            self.usage = (
                StateUsage(self.state, settings.state.prefix, self._usage_lost)
                if settings.state.backend == "redis"
                else MemoryUsage()
            )
        if any(m.provider == "local" for m in settings.ocr_models):
            self.metrics.watch_ocr_pool(self.ocr_registry, RESTART_REASONS)
        self.quotas = Quotas(self.state, settings.state, self.logger)
        self.gate = TenantGate(keys, self.quotas)
        self.cache = self._cache(settings, previous)
        self.ocr = OcrService(
            self.ocr_registry, self.usage, self.metrics, self.cache, tracer=self.tracer
        )
        self.chat = ChatService(self.chat_registry, self.usage, self.tracer)
        self._wire_files_and_batches(previous)
        self.in_flight = 0
        """Requests this runtime is serving (a retired runtime closes when it reaches 0)."""
        self.routes = [RouteSpec.of(r, settings.limits) for r in settings.routes]
        self._started = False

    def _cache(self, settings: Settings, previous: Runtime | None) -> OcrCache | None:
        """The OCR result cache, when an entity has ``cache = true`` (a reload with the same
        ``[cache]`` and ``[state]`` keeps the previous one, entries and all)."""
        self._owns_cache = False
        if not any(m.cache for m in settings.ocr_models):
            return None
        if (
            previous is not None
            and previous.cache is not None
            and previous.settings.cache == settings.cache
            and previous.settings.state == settings.state
        ):
            previous._owns_cache = False
            self._owns_cache = True
            return previous.cache
        cfg = settings.cache
        path = Path(cfg.path).expanduser()
        if not path.is_absolute():  # like [files] directory: beside the config file
            source = Path(settings.source)
            base = source.parent if settings.source != "<memory>" and source.suffix else Path.cwd()
            cfg = msgspec.structs.replace(cfg, path=str((base / path).resolve()))
        try:
            cache = make_cache(
                cfg, settings.state.url, settings.state.prefix, settings.state.timeout, self.logger
            )
        except ValueError as exc:
            key = "cache.url" if cfg.url is not None else "state.url (the cache's Redis)"
            raise ConfigError(f"{settings.source}: $.{key}: {exc}") from None
        self._owns_cache = True
        return cache

    def _wire_files_and_batches(self, previous: Runtime | None) -> None:
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
            keys=self.gate.keys,
            usage=self.usage,
            limits=settings.limits,
            documents=self.files.documents_for,
            metrics=self.metrics,
            # A line over its tenant's budget waits for the budget to reset, it does not fail.
            gates=[BudgetGate(self.quotas)],
        )
        if self.batches is not None:
            self.batches.rebind(services, lambda: self.clients.fetcher)
        elif settings.batches.enabled:
            self.batches = build_batch_service(
                settings, self.files, services, lambda: self.clients.fetcher, self.logger
            )

    def ops_deps(self) -> OpsDeps:
        """What the operations endpoints report on."""
        return OpsDeps(
            source=self.settings.source,
            admin_key=self.settings.admin_key,
            ocr=self.ocr_registry,
            quotas=self.quotas,
            metrics=self.metrics,
            usage=self.usage,
            logger=self.logger,
            tenants=self.gate.keys.tenants,
        )

    # --- RequestHooks: called by the access-log middleware for every request ---------------

    def request_started(self) -> None:
        """Count a request in flight."""
        self.metrics.in_flight += 1
        self.in_flight += 1

    async def request_done(self, fields: dict[str, Any], status: int, seconds: float) -> None:
        """Metrics of every request, from its access-log fields."""
        self.metrics.in_flight -= 1
        self.in_flight -= 1
        self.metrics.record_request(fields, status, seconds)

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
            await self.ocr_registry.start()
            if self.batches is not None:
                await self.batches.ensure_started()

    async def close_entities(self) -> None:
        """Close the providers, the local OCR pool and the HTTP clients (not the state)."""
        await self.ocr_registry.aclose()
        await self.chat_registry.aclose()
        await self.clients.aclose()

    async def aclose(self) -> None:
        """Close clients and pools (run by the app lifespan, or by an embedding host)."""
        if self._owns_features:
            if self.batches is not None:
                await self.batches.aclose()
            if self.files is not None:
                await self.files.aclose()
        await self.close_entities()
        await self.quotas.aclose()
        if self._owns_state:
            await self.state.aclose()
        if self.cache is not None and self._owns_cache:
            await self.cache.aclose()
        if self.tracer is not None:
            await self.tracer.aclose()  # exports the spans still in its batch
        self._started = False
