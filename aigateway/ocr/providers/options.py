"""Reading an entity's ``options`` table: typed values, mistakes as config errors."""

from __future__ import annotations

from typing import Any

from ...config import OcrModelConfig
from ...errors import ConfigError

__all__ = ("Options",)


class Options:
    r"""Typed access to an entity's ``options`` table; mistakes are :class:`ConfigError`\ s."""

    def __init__(self, entity: OcrModelConfig, where: str, *known: str) -> None:
        self.values = entity.options
        self.where = where
        unknown = sorted(set(entity.options) - set(known))
        if unknown:
            raise ConfigError(
                f"{where}: options: unknown {', '.join(unknown)} "
                f"({entity.provider} takes {', '.join(known) or 'no options'})"
            )

    def _bad(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.where}: options.{name}: expected {expected}, got {value!r}")

    def positive_int(self, name: str, default: int) -> int:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._bad(name, "a positive integer", value)
        return value

    def positive_float(self, name: str, default: float) -> float:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self._bad(name, "a positive number", value)
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.values.get(name, default)
        if not isinstance(value, bool):
            raise self._bad(name, "true or false", value)
        return value

    def string(self, name: str, default: str, choices: tuple[str, ...] = ()) -> str:
        value = self.values.get(name, default)
        if not isinstance(value, str) or not value or (choices and value not in choices):
            raise self._bad(name, " or ".join(choices) if choices else "a non-empty string", value)
        return value
