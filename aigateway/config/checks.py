"""Checks of a parsed configuration beyond its types, each naming the key path.

What needs a package to check is checked where that package builds its part, so that this
module imports nothing but the error tree: provider names by the OCR and chat registries, the
``[state] url`` by the state backend. ``aigateway check`` builds both, so it reports them too.
"""

from __future__ import annotations

from ..errors import ConfigError
from .features import validate_features
from .settings import CacheConfig, Settings, StateConfig, TracingConfig

__all__ = ("MAX_AMOUNT", "MAX_PRICE", "check_servable", "validate")

MAX_PRICE = 1_000_000.0
"""Largest price of one page or token: costs are kept as integer billionths (Redis integers),
which stay exact up to about 9.2e9 currency units in all."""
MAX_AMOUNT = 1_000_000_000.0
"""Largest budget amount per period."""


def _check_price(value: float | None, where: str) -> None:
    if value is not None and not 0 <= value <= MAX_PRICE:
        raise ConfigError(f"{where}: expected a price from 0 to {MAX_PRICE:g}, got {value!r}")


def _check_unique(ids: list[str], what: str, source: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ConfigError(f"{source}: $.{what}: duplicate id {i!r}")
        seen.add(i)


def validate(settings: Settings) -> None:
    """Raise :class:`ConfigError` for what the types cannot say: duplicate or unknown ids,
    sizes and timeouts out of range, routes that do not fit their plugin."""
    src = settings.source
    _check_unique([m.id for m in settings.ocr_models], "ocr_models", src)
    _check_unique([m.id for m in settings.chat_models], "chat_models", src)
    _check_unique([t.id for t in settings.tenants], "tenants", src)
    ocr_ids = {m.id for m in settings.ocr_models}
    chat_ids = {m.id for m in settings.chat_models}
    if not 0 <= settings.server.graceful_timeout <= 3600:
        raise ConfigError(
            f"{src}: $.server.graceful_timeout: expected seconds from 0 to 3600, "
            f"got {settings.server.graceful_timeout!r}"
        )
    if settings.limits.max_size_upload <= 0:
        raise ConfigError(f"{src}: $.limits.max_size_upload: expected a positive byte count")
    if settings.server.header_timeout <= 0:
        raise ConfigError(f"{src}: $.server.header_timeout: expected a positive number of seconds")
    if settings.server.body_timeout <= 0:
        raise ConfigError(f"{src}: $.server.body_timeout: expected a positive number of seconds")
    if settings.server.max_connections < 0:
        raise ConfigError(f"{src}: $.server.max_connections: expected 0 (no cap) or more")
    if not 1 <= settings.limits.max_json_depth <= 512:
        raise ConfigError(f"{src}: $.limits.max_json_depth: expected 1 to 512 levels")
    if not 36 <= settings.playground.preview_dpi <= 300:
        raise ConfigError(f"{src}: $.playground.preview_dpi: expected 36 to 300")
    if settings.playground.preview_max_pages < 1:
        raise ConfigError(f"{src}: $.playground.preview_max_pages: expected at least 1")
    for i, m in enumerate(settings.ocr_models):
        if m.max_response_size <= 0:
            raise ConfigError(
                f"{src}: $.ocr_models[{i}].max_response_size: expected a positive byte count"
            )
        for price in ("cost_per_page", "cost_per_annotation_page"):
            _check_price(getattr(m, price), f"{src}: $.ocr_models[{i}].{price}")
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
        for price in ("input_cost_per_token", "output_cost_per_token"):
            _check_price(getattr(c, price), f"{src}: $.chat_models[{i}].{price}")
        for name, model_price in c.prices.items():
            for price in ("input_cost_per_token", "output_cost_per_token"):
                _check_price(
                    getattr(model_price, price), f"{src}: $.chat_models[{i}].prices.{name}.{price}"
                )
        if not 0 <= c.reserve_output_tokens <= 10_000_000:
            raise ConfigError(
                f"{src}: $.chat_models[{i}].reserve_output_tokens: expected 0 to 10000000 tokens"
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
    _validate_tracing(settings.tracing, src)
    _validate_cache(settings.cache, src)
    for i, t in enumerate(settings.tenants):
        if not t.api_keys:
            raise ConfigError(f"{src}: $.tenants[{i}].api_keys: expected at least one key")
        if t.budget is not None and not 0 <= t.budget.amount <= MAX_AMOUNT:
            raise ConfigError(
                f"{src}: $.tenants[{i}].budget.amount: expected an amount from 0 to {MAX_AMOUNT:g}"
            )
        for ref in t.allowed_refs or []:
            if ref not in ocr_ids | chat_ids:
                raise ConfigError(
                    f"{src}: $.tenants[{i}].allowed_refs: {ref!r} is not an entity id"
                )
    validate_features(src, settings.files, settings.batches)


def check_servable(settings: Settings) -> None:
    """Raise :class:`ConfigError` when ``settings`` has no ``[[routes]]``: served, it would
    answer 404 to everything. (Such a config is still a valid :class:`Settings` for a library's
    own use; serving or checking one is what is refused.)"""
    src = settings.source
    example = 'e.g. [[routes]] path = "/" ocr_model_refs = ["local"] (see config.toml)'
    if not settings.routes:
        raise ConfigError(
            f"{src}: nothing to serve: the config has no [[routes]]; add one, {example}"
        )


def _validate_tracing(tracing: TracingConfig, src: str) -> None:
    if not 0.0 <= tracing.sample_ratio <= 1.0:
        raise ConfigError(f"{src}: $.tracing.sample_ratio: expected a number from 0 to 1")
    if not 0 < tracing.timeout <= 300:
        raise ConfigError(f"{src}: $.tracing.timeout: expected seconds above 0, at most 300")
    if not tracing.service_name:
        raise ConfigError(f"{src}: $.tracing.service_name: expected a non-empty name")
    scheme, sep, rest = tracing.endpoint.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or rest.startswith("/"):
        raise ConfigError(
            f"{src}: $.tracing.endpoint: expected an http(s) URL such as "
            f"http://127.0.0.1:4318/v1/traces, got {tracing.endpoint!r}"
        )
    for name, value in tracing.headers.items():
        if not name or any(c in name + value for c in "\r\n"):
            raise ConfigError(
                f"{src}: $.tracing.headers.{name}: expected a header without line breaks"
            )


def _validate_state(state: StateConfig, src: str) -> None:
    if not 1.0 <= state.lease_ttl <= 3600:
        raise ConfigError(f"{src}: $.state.lease_ttl: expected seconds between 1 and 3600")
    if not 0 < state.timeout <= 60:
        raise ConfigError(f"{src}: $.state.timeout: expected seconds above 0, at most 60")
    if not state.prefix or any(ch in state.prefix for ch in "{}"):
        # A brace in the prefix would become the Redis Cluster hash tag of every key.
        raise ConfigError(f"{src}: $.state.prefix: expected a non-empty prefix without braces")


def _validate_cache(cache: CacheConfig, src: str) -> None:
    if cache.max_bytes <= 0:
        raise ConfigError(f"{src}: $.cache.max_bytes: expected a positive byte count")
    if cache.max_entry_bytes <= 0:
        raise ConfigError(f"{src}: $.cache.max_entry_bytes: expected a positive byte count")
    if not 1 <= cache.ttl <= 31_536_000:
        raise ConfigError(f"{src}: $.cache.ttl: expected seconds from 1 to 31536000 (a year)")
    if cache.backend == "disk" and not cache.path:
        raise ConfigError(f"{src}: $.cache.path: the disk backend needs a directory")
