"""The TOML configuration: typed msgspec Structs and the loader.

One file drives the whole gateway. Unknown keys and wrong types are errors that name the file and
the key path (msgspec's ``$.ocr_models[0].provider`` paths, surfaced as they are); ``${VAR}``
strings are replaced from the environment, and a missing variable is an error naming it.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec

from .config_features import BatchesConfig, FilesConfig, validate_features
from .errors import ConfigError
from .state_url import parse_state_url

__all__ = (
    "BatchesConfig",
    "ChatModelConfig",
    "FetchConfig",
    "FilesConfig",
    "LimitsConfig",
    "LoggingConfig",
    "OcrModelConfig",
    "OcrPoolConfig",
    "RouteConfig",
    "ServerConfig",
    "Settings",
    "StateConfig",
    "TenantConfig",
    "TenantLimits",
    "load_config",
    "parse_config",
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
    max_connections: int = 2048
    """Open connections per server process; more are answered 503 and closed at once. Clamped
    to the open-file limit (``ulimit -n``) less 128; 0 turns the cap off."""


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
    """Worker processes of the local OCR pool; 0 means one per CPU core."""
    max_queue: int = 256
    """Page tasks that may wait for a worker before requests get 503 + Retry-After."""
    task_timeout: float = 300.0
    """Seconds one page may take in a worker before the request fails with 504."""


class OcrModelConfig(_Base, frozen=True):
    """An OCR model entity: one ``[[ocr_models]]`` entry."""

    id: str
    provider: Literal["local", "mistral", "alphaedge", "openai_vision", "azure_docintel"]
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


class ChatModelConfig(_Base, frozen=True):
    """A chat/embeddings model entity: one ``[[chat_models]]`` entry."""

    id: str
    base_url: str
    provider: Literal["openai"] = "openai"
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


class TenantConfig(_Base, frozen=True):
    id: str
    api_keys: list[str]
    """``sha256:<hex>`` digests (see ``aigateway hash-key``) or the key itself via ``${ENV}``."""
    allowed_refs: list[str] | None = None
    """Entity ids this tenant may use; absent means every entity of the route."""
    limits: TenantLimits = TenantLimits()


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


class LoggingConfig(_Base, frozen=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"
    access_log: bool = True


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
    files: FilesConfig = FilesConfig()
    batches: BatchesConfig = BatchesConfig()
    logging: LoggingConfig = LoggingConfig()
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


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _interpolate(value: Any, path: str, env: dict[str, str], source: str) -> Any:
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{source}: {path}: environment variable {name} is not set "
                f"(write ${{{name}:-default}} for an optional value)"
            )

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{path}.{k}", env, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", env, source) for i, v in enumerate(value)]
    return value


def _check_unique(ids: list[str], what: str, source: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ConfigError(f"{source}: $.{what}: duplicate id {i!r}")
        seen.add(i)


def _validate(settings: Settings) -> None:
    src = settings.source
    _check_unique([m.id for m in settings.ocr_models], "ocr_models", src)
    _check_unique([m.id for m in settings.chat_models], "chat_models", src)
    _check_unique([t.id for t in settings.tenants], "tenants", src)
    ocr_ids = {m.id for m in settings.ocr_models}
    chat_ids = {m.id for m in settings.chat_models}
    if settings.limits.max_size_upload <= 0:
        raise ConfigError(f"{src}: $.limits.max_size_upload: expected a positive byte count")
    if settings.server.header_timeout <= 0:
        raise ConfigError(f"{src}: $.server.header_timeout: expected a positive number of seconds")
    if settings.server.max_connections < 0:
        raise ConfigError(f"{src}: $.server.max_connections: expected 0 (no cap) or more")
    if not 1 <= settings.limits.max_json_depth <= 512:
        raise ConfigError(f"{src}: $.limits.max_json_depth: expected 1 to 512 levels")
    for i, m in enumerate(settings.ocr_models):
        if m.max_response_size <= 0:
            raise ConfigError(
                f"{src}: $.ocr_models[{i}].max_response_size: expected a positive byte count"
            )
        for fb in m.fallbacks:
            if fb not in ocr_ids or fb == m.id:
                raise ConfigError(
                    f"{src}: $.ocr_models[{i}].fallbacks: {fb!r} is not another [[ocr_models]] id"
                )
    for i, c in enumerate(settings.chat_models):
        for cap in ("max_response_size", "max_event_size"):
            if getattr(c, cap) <= 0:
                raise ConfigError(
                    f"{src}: $.chat_models[{i}].{cap}: expected a positive byte count"
                )
        for fb in c.fallbacks:
            if fb not in chat_ids or fb == c.id:
                raise ConfigError(
                    f"{src}: $.chat_models[{i}].fallbacks: {fb!r} is not another [[chat_models]] id"
                )
    paths: set[tuple[str, str]] = set()
    for i, r in enumerate(settings.routes):
        where = f"{src}: $.routes[{i}]"
        if not r.path.startswith("/"):
            raise ConfigError(f"{where}.path: expected a path starting with '/', got {r.path!r}")
        key = (r.path.rstrip("/") or "/", r.plugin)
        if key in paths:
            raise ConfigError(f"{where}.path: another {r.plugin} route already uses {r.path!r}")
        paths.add(key)
        if r.max_size_upload is not None and r.max_size_upload <= 0:
            raise ConfigError(f"{where}.max_size_upload: expected a positive byte count")
        if r.plugin == "ocr":
            if not r.refs:
                raise ConfigError(f"{where}.refs: an ocr route needs at least one OCR entity id")
            if r.ocr_model_refs or r.chat_model_refs:
                raise ConfigError(
                    f"{where}: an ocr route takes `refs`, not ocr_model_refs/chat_model_refs"
                )
        elif r.refs:
            raise ConfigError(
                f"{where}.refs: an openai_compat route takes ocr_model_refs and chat_model_refs"
            )
        for field, known, table in (
            ("refs", ocr_ids, "ocr_models"),
            ("ocr_model_refs", ocr_ids, "ocr_models"),
            ("chat_model_refs", chat_ids, "chat_models"),
        ):
            for ref in getattr(r, field):
                if ref not in known:
                    raise ConfigError(f"{where}.{field}: {ref!r} is not an id in [[{table}]]")
    _validate_state(settings.state, src)
    for i, t in enumerate(settings.tenants):
        if not t.api_keys:
            raise ConfigError(f"{src}: $.tenants[{i}].api_keys: expected at least one key")
        for ref in t.allowed_refs or []:
            if ref not in ocr_ids | chat_ids:
                raise ConfigError(
                    f"{src}: $.tenants[{i}].allowed_refs: {ref!r} is not an entity id"
                )


def _validate_state(state: StateConfig, src: str) -> None:
    if not 1.0 <= state.lease_ttl <= 3600:
        raise ConfigError(f"{src}: $.state.lease_ttl: expected seconds between 1 and 3600")
    if not 0 < state.timeout <= 60:
        raise ConfigError(f"{src}: $.state.timeout: expected seconds above 0, at most 60")
    if not state.prefix or any(ch in state.prefix for ch in "{}"):
        # A brace in the prefix would become the Redis Cluster hash tag of every key.
        raise ConfigError(f"{src}: $.state.prefix: expected a non-empty prefix without braces")
    if state.backend == "redis":
        try:
            parse_state_url(state.url)
        except ValueError as exc:
            raise ConfigError(f"{src}: $.state.url: {exc}") from None


def parse_config(
    data: dict[str, Any] | str,
    *,
    source: str = "<memory>",
    env: dict[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from a TOML string or an already-parsed dict.

    Raises:
        ConfigError: naming ``source``, the key path and what was expected.
    """
    if isinstance(data, str):
        try:
            data = tomllib.loads(data)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    raw = _interpolate(data, "$", dict(os.environ) if env is None else env, source)
    raw = {**raw, "source": source}
    try:
        settings = msgspec.convert(raw, Settings)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    _validate(settings)
    validate_features(settings.source, settings.files, settings.batches)
    return settings


def load_config(path: str | os.PathLike[str], *, env: dict[str, str] | None = None) -> Settings:
    """Read and validate a TOML config file.

    Raises:
        ConfigError: the file is missing, not TOML, or does not match the schema.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config file: {exc.strerror}") from None
    return parse_config(text, source=str(p), env=env)
