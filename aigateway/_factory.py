"""App factory for multi-worker serving: each worker reads ``$AIGATEWAY_CONFIG``."""

from __future__ import annotations

import os

from litestar import Litestar

from .app import create_app

__all__ = ("app",)


def app() -> Litestar:
    """Build the app from the config file named by ``AIGATEWAY_CONFIG``."""
    return create_app(os.environ.get("AIGATEWAY_CONFIG", "config.toml"))
