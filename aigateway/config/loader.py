"""Reading the TOML file: ``${VAR}`` interpolation, conversion to :class:`Settings`, checks.

A missing environment variable is an error naming it; a wrong type or an unknown key is an
error naming the file and the key path (msgspec's ``$.ocr_models[0].timeout`` paths, surfaced
as they are).
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
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
        raise ConfigError(f"{source}: {exc}{_enum_hint(str(exc))}") from None
    validate(settings)
    return settings


_ENUM_ERROR = re.compile(r"^Invalid enum value .* - at `(\$[^`]*)`$")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _enum_hint(message: str) -> str:
    """msgspec names a bad enum value and its path but not the valid values: find them."""
    match = _ENUM_ERROR.match(message)
    if match is None:
        return ""
    values = _literal_values(_type_at(match.group(1)))
    return f" (expected one of: {', '.join(repr(v) for v in values)})" if values else ""


def _type_at(path: str) -> Any:
    """The annotated type of the Settings field at a msgspec path like ``$.routes[0].plugin``."""
    tp: Any = Settings
    for name, index in _STEP.findall(path[1:]):
        tp = _unwrap(tp, list if index else msgspec.Struct)
        if tp is None:
            return None
        if index:
            tp = typing.get_args(tp)[0] if typing.get_args(tp) else None
        else:
            tp = typing.get_type_hints(tp).get(name)
    return tp


def _unwrap(tp: Any, want: type) -> Any:
    """``tp``, or the member of the union ``tp`` that is a ``want`` (a Struct, or a list)."""
    for member in typing.get_args(tp) if _is_union(tp) else (tp,):
        origin = typing.get_origin(member) or member
        if isinstance(origin, type) and issubclass(origin, want):
            return member
    return None


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, type(int | None))


def _literal_values(tp: Any) -> tuple[Any, ...]:
    for member in typing.get_args(tp) if _is_union(tp) else (tp,):
        if typing.get_origin(member) is typing.Literal:
            return typing.get_args(member)
    return ()


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
