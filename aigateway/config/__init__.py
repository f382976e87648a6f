"""The TOML configuration: typed msgspec Structs (:mod:`.settings`), the loader
(:mod:`.loader`) and the checks beyond types (:mod:`.checks`).

One file drives the whole gateway. Unknown keys and wrong types are errors that name the file and
the key path; ``${VAR}`` strings are replaced from the environment, and a missing variable is an
error naming it.
"""

from __future__ import annotations

from .loader import load_config, parse_config
from .settings import (
    BatchesConfig,
    BudgetConfig,
    CacheConfig,
    ChatModelConfig,
    FetchConfig,
    FilesConfig,
    LimitsConfig,
    LoggingConfig,
    ModelPrice,
    OcrModelConfig,
    OcrPoolConfig,
    RouteConfig,
    ServerConfig,
    Settings,
    StateConfig,
    TenantConfig,
    TenantLimits,
    TracingConfig,
)

__all__ = (
    "BatchesConfig",
    "BudgetConfig",
    "CacheConfig",
    "ChatModelConfig",
    "FetchConfig",
    "FilesConfig",
    "LimitsConfig",
    "LoggingConfig",
    "ModelPrice",
    "OcrModelConfig",
    "OcrPoolConfig",
    "RouteConfig",
    "ServerConfig",
    "Settings",
    "StateConfig",
    "TenantConfig",
    "TenantLimits",
    "TracingConfig",
    "load_config",
    "parse_config",
)
