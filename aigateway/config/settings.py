"""The configuration's schema: strict, typed msgspec Structs, one per TOML table.

Unknown keys and wrong types are errors naming the file and the key path (msgspec's
``$.ocr_models[0].timeout`` paths); :mod:`.loader` reads a file into :class:`Settings` and
:mod:`.checks` validates what a type cannot say (ids that must exist, positive sizes).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from .features import BatchesConfig, FilesConfig

__all__ = (
    "BatchesConfig",
    "BudgetConfig",
    "CacheConfig",
    "ChatModelConfig",
    "DocsConfig",
    "FetchConfig",
    "FilesConfig",
    "LimitsConfig",
    "LoggingConfig",
    "ModelPrice",
    "OcrModelConfig",
    "OcrPoolConfig",
    "PlaygroundConfig",
    "RouteConfig",
    "ServerConfig",
    "Settings",
    "StateConfig",
    "TenantConfig",
    "TenantLimits",
    "TracingConfig",
)

DEFAULT_MAX_SIZE_UPLOAD = 104_857_600
DEFAULT_MAX_RESPONSE_SIZE = 67_108_864
DEFAULT_MAX_EVENT_SIZE = 8_388_608


class _Base(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Strict base: a typo in the config is an error, not a silently ignored key."""


class ServerConfig(_Base, frozen=True):
    host: str = "127.0.0.1"
    """Interface ``aigateway serve`` binds to."""
    port: int = 8080
    """TCP port ``aigateway serve`` binds to."""
    workers: int = 1
    """Server worker processes (each runs its own app; state is shared through ``[state]``)."""
    trust_request_id: bool = True
    """Reuse a well-formed incoming ``x-request-id`` instead of minting one."""
    sse_ping_interval: float = 15.0
    """Seconds of upstream silence after which a ``: ping`` comment keeps an SSE stream alive."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's line and headers (from connecting, or from the
    first byte of a later request on the connection); then 408 and the connection is closed.
    Stops slow-header (slowloris) clients from holding connections forever."""
    body_timeout: float = 30.0
    """Seconds a request body may go without a byte arriving while the server reads it; then
    408 and the connection is closed (a client trickling its upload held its admission slot
    forever). Not a cap on the upload's length: a slow but steady upload never waits this long."""
    max_connections: int = 2048
    """Open connections per server process; more are answered 503 and closed at once. Clamped
    to the open-file limit (``ulimit -n``) less 128; 0 turns the cap off."""
    graceful_timeout: float = 30.0
    """Seconds ``aigateway serve`` gives requests in flight after SIGTERM/SIGINT. New work for
    the local OCR pool is refused at once (503); shortly before the deadline, OCR requests still
    waiting get 503, and whatever remains is cancelled when it passes. Then the process exits."""


class LimitsConfig(_Base, frozen=True):
    max_size_upload: int = DEFAULT_MAX_SIZE_UPLOAD
    """Bytes; default upload cap for every route (decoded document bytes)."""
    max_pages: int = 1000
    """Pages a single document may have (counted before OCR)."""
    max_pixels_per_page: int = 50_000_000
    """Pixels an image or a rendered page may have (decompression-bomb guard)."""
    max_form_field_size: int = 1_048_576
    """Bytes a non-file multipart field may have; also caps each non-string value of an OCR
    JSON body (``pages``, ``document_annotation_format`` …)."""
    max_json_depth: int = 64
    """Levels of ``{``/``[`` JSON in a request may nest (bodies, and JSON sent in form fields);
    deeper is a 400 naming the field. At most 512: decoders recurse once per level."""


class OcrPoolConfig(_Base, frozen=True):
    workers: int = 0
    """Worker processes of the local OCR pool; 0 means one per core the process may use
    (the affinity mask and a cgroup CPU quota count, :func:`aigateway.cpus.usable`)."""
    max_queue: int = 256
    """Page tasks that may wait for a worker before requests get 503 + Retry-After."""
    task_timeout: float = 300.0
    """Seconds one page may take in a worker before the request fails with 504."""
    warm: bool = True
    """Workers load what most pages need (the ``auto`` engine's re-reading recogniser, about
    125 MB each) once ready and before their first page; ``false`` leaves it to the first page
    that needs it (a smaller idle pool where documents have a text layer)."""


class OcrModelConfig(_Base, frozen=True):
    """An OCR model entity: one ``[[ocr_models]]`` entry."""

    id: str
    provider: str
    """The adapter serving this entity: a built-in OCR provider (README, "OCR providers") or one
    registered with :func:`aigateway.create_app`; checked when the app, or ``aigateway check``,
    builds the entity (the built-in names are ``aigateway.ocr.registry.BUILTIN_PROVIDERS``)."""
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    """Upstream model name; a request's ``model`` overrides it."""
    timeout: float = 180.0
    """Seconds for one upstream call (connect timeout is capped at 10 s)."""
    max_retries: int = 1
    """Retries on upstream 429/5xx/timeouts before moving on to ``fallbacks``."""
    fallbacks: list[str] = []
    """Entity ids tried in order when this one fails with 429/5xx/timeout."""
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    """Bytes (decoded) of one upstream answer the gateway reads; a larger answer is a 502 naming
    this key. Raise it for pages with many ``include_image_base64`` images."""
    options: dict[str, Any] = {}
    """Provider-specific options, validated by the provider when the registry builds it."""
    cost_per_page: float | None = None
    """Price of one page this entity processes, in your currency (``/admin/usage``,
    ``x-aigateway-cost``, budgets); absent means pages cost nothing."""
    cost_per_annotation_page: float | None = None
    """Price of one page of a request with ``document_annotation_format`` or
    ``bbox_annotation_format``, *instead of* ``cost_per_page`` (for a price list that adds an
    annotation fee to the OCR price, write the sum); absent means ``cost_per_page``."""
    cache: bool = False
    """Keep this entity's answers in the OCR result cache (``[cache]``): an identical request
    (same document bytes and output options) is answered from it without an upstream call."""


class ModelPrice(_Base, frozen=True):
    """Prices of one upstream model of a chat entity (``prices = { "gpt-4o" = {…} }``)."""

    input_cost_per_token: float = 0.0
    """Price of one prompt (input) token."""
    output_cost_per_token: float = 0.0
    """Price of one completion (output) token."""


class ChatModelConfig(_Base, frozen=True):
    """A chat/embeddings model entity: one ``[[chat_models]]`` entry."""

    id: str
    base_url: str
    provider: str = "openai"
    """The adapter: the built-in ``openai`` (any OpenAI-compatible server) or one registered with
    :func:`aigateway.create_app`; checked when the app, or ``aigateway check``, builds it."""
    api_key: str | None = None
    models: list[str] = []
    """Upstream model names routed to this entity; ``"{id}/any-model"`` also reaches it."""
    aliases: dict[str, str] = {}
    """Public name -> upstream model name."""
    timeout: float = 600.0
    max_retries: int = 0
    fallbacks: list[str] = []
    headers: dict[str, str] = {}
    """Extra headers sent upstream (e.g. organisation ids)."""
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    """Bytes (decoded) of a non-streamed answer (chat or embeddings) the gateway reads; a larger
    answer is a 502 naming this key. Streams are bounded per event instead."""
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    """Bytes one SSE event may reach while the gateway waits for its end; past it the stream
    ends with a ``data: {"error": …}`` event."""
    input_cost_per_token: float | None = None
    """Price of one prompt token (chat and embeddings), in your currency."""
    output_cost_per_token: float | None = None
    """Price of one completion token."""
    prices: dict[str, ModelPrice] = {}
    """Prices per upstream model name, for an entity serving several; a model not listed costs
    ``input_cost_per_token`` / ``output_cost_per_token``."""
    reserve_output_tokens: int = 4096
    """Completion tokens a tenant's budget reserves for a chat request that sets neither
    ``max_completion_tokens`` nor ``max_tokens`` (settled to the real count afterwards)."""
    stream_usage: bool = True
    """When this entity has prices, ask the upstream for a stream's usage
    (``stream_options.include_usage``) if the caller did not, and drop that usage chunk before
    it reaches the caller. Set false for servers that reject ``stream_options``."""

    @property
    def priced(self) -> bool:
        """True when any token price is set."""
        return (
            self.input_cost_per_token is not None
            or self.output_cost_per_token is not None
            or bool(self.prices)
        )


class RouteConfig(_Base, frozen=True):
    path: str = "/"
    plugin: Literal["openai_compat", "ocr"] = "openai_compat"
    refs: list[str] = []
    """For ``plugin = "ocr"``: OCR entity ids this route may use (first is the default)."""
    ocr_model_refs: list[str] = []
    """For ``plugin = "openai_compat"``: OCR entity ids (first is the default)."""
    chat_model_refs: list[str] = []
    """For ``plugin = "openai_compat"``: chat entity ids."""
    max_size_upload: int | None = None
    """Bytes; overrides ``[limits] max_size_upload`` for this route."""


class TenantLimits(_Base, frozen=True):
    requests_per_minute: int | None = None
    pages_per_minute: int | None = None
    pages_per_day: int | None = None
    tokens_per_minute: int | None = None
    max_concurrent: int | None = None
    max_size_upload: int | None = None


class BudgetConfig(_Base, frozen=True):
    """A tenant's spending cap: ``budget = { amount = 50.0, period = "day" }``."""

    amount: float
    """What the tenant may spend per period, in the currency of the prices."""
    period: Literal["day", "month"] = "month"
    """Calendar day or month, in UTC; the budget resets at its end."""


class TenantConfig(_Base, frozen=True):
    id: str
    api_keys: list[str]
    """``sha256:<hex>`` digests (see ``aigateway hash-key``) or the key itself via ``${ENV}``."""
    allowed_refs: list[str] | None = None
    """Entity ids this tenant may use; absent means every entity of the route."""
    limits: TenantLimits = TenantLimits()
    budget: BudgetConfig | None = None
    """Spending cap across every replica (see README "Cost and budgets")."""


class StateConfig(_Base, frozen=True):
    """``[state]``: where limits, leases and usage live (see README "Scaling out")."""

    backend: Literal["memory", "redis"] = "memory"
    """``memory`` (one process) or ``redis`` (shared by every replica)."""
    url: str | list[str] = "redis://127.0.0.1:6379/0"
    """``redis://``, ``rediss://``, ``unix://``; ``redis+cluster://h1:p1,h2:p2`` or a list of
    cluster nodes; ``redis+sentinel://s1:p1,s2:p2/service[/db]``."""
    fail_open: bool = True
    """With Redis unreachable: serve without limits (True) or answer 503 (False)."""
    prefix: str = "aigw"
    """Key prefix, to share one Redis between deployments."""
    lease_ttl: float = 30.0
    """Seconds a concurrency slot outlives its last renewal (renewed every third of it while
    the request is in flight): the longest a crashed replica's slots stay taken."""
    timeout: float = 1.0
    """Seconds to connect to Redis; one call (connect, command, one reconnect) may take twice
    that. After a failure calls fail at once, and Redis is probed with backoff (at most 2 s
    apart) until it answers."""


class FetchConfig(_Base, frozen=True):
    allow_private: bool = False
    """Allow document URLs that resolve to loopback/private/link-local addresses."""
    allow_hosts: list[str] = []
    """Host names exempt from the private-address check."""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    total_timeout: float = 300.0
    """Seconds one download may take in all (redirects included); stops slow-drip bodies."""
    max_redirects: int = 5


class CacheConfig(_Base, frozen=True):
    """``[cache]``: the OCR result cache of the entities with ``cache = true``."""

    backend: Literal["memory", "disk", "redis"] = "memory"
    """``memory`` (this process, LRU), ``disk`` (a directory, shared by the processes of one
    host) or ``redis`` (shared by every replica)."""
    max_bytes: int = 268_435_456
    """Bytes the memory and disk backends hold in all; the least recently used entries go
    first. Redis is bounded by its own ``maxmemory`` (entries expire after ``ttl``)."""
    max_entry_bytes: int = 16_777_216
    """Bytes of one cached answer; a larger answer is served but not kept."""
    ttl: float = 86_400.0
    """Seconds an entry is kept."""
    path: str = ".aigw-cache"
    """Directory of the disk backend (created with mode 0700); a relative path is relative to
    the config file's folder."""
    url: str | list[str] | None = None
    """Redis URL of the redis backend (same forms as ``[state] url``); absent: ``[state] url``."""
    scope: Literal["tenant", "global"] = "tenant"
    """``tenant``: a tenant's entries serve only that tenant. ``global``: one tenant's result
    serves every tenant that sends the same document and options."""
    charge_hit_pages: bool = False
    """Count the pages of a cached answer against the tenant's page limits."""
    charge_hit_cost: bool = False
    """Charge the cost of a cached answer (its pages at the entity's price) to cost and budgets."""


class LoggingConfig(_Base, frozen=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"
    access_log: bool = True


class DocsConfig(_Base, frozen=True):
    """``[docs]``: the OpenAPI document and the API reference page."""

    enabled: bool = True
    """Serve the OpenAPI 3.1 document at ``/openapi.json`` (and the page, see ``page``)."""
    page: bool = True
    """Serve the API reference page at ``/docs`` (offline: no asset comes from elsewhere)."""


class PlaygroundConfig(_Base, frozen=True):
    """``[playground]``: the browser page at ``/playground`` for trying OCR and chat."""

    enabled: bool = True
    """Serve ``/playground`` and its page-image endpoint ``POST /playground/preview``."""
    preview_dpi: int = 100
    """Resolution of the page images the playground shows beside the markdown (36-300)."""
    preview_max_pages: int = 20
    """Pages one preview request renders at most (the rest show no image)."""


class TracingConfig(_Base, frozen=True):
    """``[tracing]``: OpenTelemetry spans exported over OTLP/HTTP (``aigateway[otel]``).

    Off by default, and then free: nothing of OpenTelemetry is imported and requests do no
    tracing work at all.
    """

    enabled: bool = False
    """Record spans (one per request, per provider call, per local OCR page) and export them."""
    endpoint: str = "http://127.0.0.1:4318/v1/traces"
    """The OTLP/HTTP (protobuf) traces URL of a collector; a URL without a path gets
    ``/v1/traces``."""
    service_name: str = "aigateway"
    """``service.name`` of every span's resource."""
    sample_ratio: float = 1.0
    """Share of new traces recorded (0 to 1). A request that arrives with a W3C
    ``traceparent`` follows its caller's sampling decision instead."""
    headers: dict[str, str] = {}
    """Headers sent with every export (e.g. ``{ authorization = "Bearer ${OTLP_TOKEN}" }``);
    never logged."""
    timeout: float = 10.0
    """Seconds one export request may take."""


class Settings(_Base, frozen=True):
    """The whole configuration file."""

    server: ServerConfig = ServerConfig()
    limits: LimitsConfig = LimitsConfig()
    ocr_pool: OcrPoolConfig = OcrPoolConfig()
    ocr_models: list[OcrModelConfig] = []
    chat_models: list[ChatModelConfig] = []
    routes: list[RouteConfig] = []
    tenants: list[TenantConfig] = []
    state: StateConfig = StateConfig()
    fetch: FetchConfig = FetchConfig()
    cache: CacheConfig = CacheConfig()
    files: FilesConfig = FilesConfig()
    batches: BatchesConfig = BatchesConfig()
    logging: LoggingConfig = LoggingConfig()
    docs: DocsConfig = DocsConfig()
    playground: PlaygroundConfig = PlaygroundConfig()
    tracing: TracingConfig = TracingConfig()
    admin_key: str | None = None
    """Key for the admin endpoints (a ``sha256:`` digest or ``${ENV}``); absent disables them."""
    source: str = "<memory>"
    """Where this config came from (set by the loader, used in error messages)."""

    def ocr_model(self, entity_id: str) -> OcrModelConfig | None:
        """The OCR entity with ``entity_id``, if any."""
        return next((m for m in self.ocr_models if m.id == entity_id), None)

    def chat_model(self, entity_id: str) -> ChatModelConfig | None:
        """The chat entity with ``entity_id``, if any."""
        return next((m for m in self.chat_models if m.id == entity_id), None)
