"""Turning a worker's error answer back into the gateway error it stood for.

A :class:`~aigateway.errors.GatewayError` does not pickle with its attributes, so the worker
sends ``(class name, message, param)`` and the pool rebuilds the error here; an unknown name
(or a class needing more arguments) becomes a plain :class:`~aigateway.errors.GatewayError`.
"""

from __future__ import annotations

from ... import errors as _errors
from ...errors import GatewayError

__all__ = ("rebuild_error",)


def rebuild_error(name: str, message: str, param: str | None) -> GatewayError:
    """The :class:`GatewayError` subclass called ``name``, with ``message`` and ``param``."""
    cls = getattr(_errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, GatewayError)):
        return GatewayError(message, param=param)
    try:
        return cls(message, param=param)
    except TypeError:  # an error class with required extra arguments
        return GatewayError(message, param=param)
