"""Reading the TOML file: ``${VAR}`` interpolation, conversion to :class:`Settings`, checks.

A missing environment variable is an error naming it; a wrong type or an unknown key is an
error naming the file and the key path (msgspec's ``$.ocr_models[0].timeout`` paths, surfaced
as they are).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from ..errors import ConfigError
from .checks import validate
from .settings import Settings

__all__ = ("load_config", "parse_config")

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
    validate(settings)
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
