"""aigateway: one base URL for AI endpoints (OCR, chat completions, models, embeddings).

Use :func:`create_app` to build the ASGI app from a :class:`Settings` (see :func:`load_config`),
or run ``aigateway serve``.
"""

from __future__ import annotations

from .config import Settings, load_config, parse_config
from .errors import ConfigError, GatewayError
from .server.app import create_app

__all__ = (
    "ConfigError",
    "GatewayError",
    "Settings",
    "__version__",
    "create_app",
    "load_config",
    "parse_config",
)

__version__ = "0.1.0"
