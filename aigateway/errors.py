"""Errors of the gateway, and the one place that knows the OpenAI error envelope.

Every failure a caller can see is a :class:`GatewayError`; each subclass fixes the HTTP status and
the OpenAI ``type`` and only overrides class attributes::

    GatewayError                       (500 server_error)
    ├── BadRequestError                400 invalid_request_error   a field is wrong (``param``)
    ├── AuthenticationError            401 invalid_request_error   no or unknown API key
    ├── PermissionDeniedError          403 invalid_request_error   tenant may not use this
    ├── NotFoundError                  404 invalid_request_error   unknown model / provider / path
    ├── GoneError                      410 invalid_request_error   expired (a signed URL)
    ├── PayloadTooLargeError           413 invalid_request_error   body or document over a limit
    ├── UnsupportedMediaTypeError      415 invalid_request_error   document type not accepted
    ├── UnprocessableDocumentError     422 invalid_request_error   corrupt PDF, wrong password …
    ├── RateLimitError                 429 rate_limit_exceeded     with ``Retry-After``
    ├── ServiceUnavailableError        503 server_error            engine saturated, ``Retry-After``
    ├── UpstreamError                  502 upstream_error          upstream failed
    └── UpstreamTimeoutError           504 upstream_error          upstream timed out

:func:`error_body` renders ``{"error": {"message", "type", "param", "code"}}``; nothing else in the
package builds that shape. Values an upstream chose (its ``code`` and ``param``) pass through
:func:`bounded_code` / :func:`bounded_param` first: short identifiers or nothing, never a
5,000-character string echoed to callers and turned into metric labels. :func:`from_status`
gives framework errors (routing 404/405, body too large, validation) their place in the tree;
the app's exception handlers (:mod:`aigateway.server.app`) render them in the same envelope.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

__all__ = (
    "GATEWAY_CODES",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ErrorDetail",
    "ErrorEnvelope",
    "GatewayError",
    "GoneError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "UnprocessableDocumentError",
    "UnsupportedMediaTypeError",
    "UpstreamError",
    "UpstreamTimeoutError",
    "bounded_code",
    "bounded_param",
    "error_body",
    "error_payload",
    "from_status",
)


class ConfigError(Exception):
    """A configuration file is invalid; the message names the file and the key path."""


class GatewayError(Exception):
    """Base of every error a caller sees. Subclasses set ``status`` and ``type``."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.headers: dict[str, str] = dict(headers or {})
        # An upstream 4xx keeps its own status (the caller's fault); see UpstreamError.
        self.status_code = status if status is not None else self.status


class BadRequestError(GatewayError):
    """400: a request field is missing or has a bad value; ``param`` names it."""

    status = 400
    type = "invalid_request_error"
    default_code = "invalid_value"


class AuthenticationError(GatewayError):
    """401: no API key, or a key no tenant owns."""

    status = 401
    type = "invalid_request_error"
    default_code = "invalid_api_key"

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class PermissionDeniedError(GatewayError):
    """403: the tenant may not use this entity or endpoint."""

    status = 403
    type = "invalid_request_error"
    default_code = "permission_denied"


class NotFoundError(GatewayError):
    """404: unknown model, provider or path."""

    status = 404
    type = "invalid_request_error"
    default_code = "not_found"


class GoneError(GatewayError):
    """410: the resource existed but may no longer be used (an expired signed URL)."""

    status = 410
    type = "invalid_request_error"
    default_code = "expired"


class PayloadTooLargeError(GatewayError):
    """413: the body, the document, its pages or its pixels exceed a configured limit."""

    status = 413
    type = "invalid_request_error"
    default_code = "payload_too_large"


class UnsupportedMediaTypeError(GatewayError):
    """415: the selected provider cannot read this document type."""

    status = 415
    type = "invalid_request_error"
    default_code = "unsupported_media_type"


class UnprocessableDocumentError(GatewayError):
    """422: the document could not be read (corrupt, truncated, wrong password)."""

    status = 422
    type = "invalid_request_error"
    default_code = "unprocessable_document"


class RateLimitError(GatewayError):
    """429: a rate limit or quota was hit; carries ``Retry-After``."""

    status = 429
    type = "rate_limit_exceeded"
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        seconds = max(1, int(retry_after + 0.999))
        headers = {"Retry-After": str(seconds), "retry-after-ms": str(int(retry_after * 1000))}
        headers.update(kwargs.pop("headers", None) or {})
        super().__init__(message, headers=headers, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailableError(GatewayError):
    """503: a local resource (the OCR pool) is saturated; carries ``Retry-After``."""

    status = 503
    type = "server_error"
    default_code = "overloaded"

    def __init__(self, message: str, *, retry_after: float = 1.0, **kwargs: Any) -> None:
        headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))}
        headers.update(kwargs.pop("headers", None) or {})
        super().__init__(message, headers=headers, **kwargs)
        self.retry_after = retry_after


class ClientClosedRequestError(GatewayError):
    """499 (nginx's "client closed request"): the caller hung up before its request body
    arrived. Nobody reads the answer; the status keeps a dropped upload out of the 500s."""

    status = 499
    type = "invalid_request_error"
    default_code = "client_closed_request"


class UpstreamError(GatewayError):
    """502: the upstream failed (or, with ``status``, rejected the caller's input as a 4xx)."""

    status = 502
    type = "upstream_error"
    default_code = "upstream_error"


class UpstreamTimeoutError(GatewayError):
    """504: the upstream did not answer in time."""

    status = 504
    type = "upstream_error"
    default_code = "upstream_timeout"


GATEWAY_CODES: frozenset[str] = frozenset(
    {
        cls.default_code
        for cls in (
            GatewayError,
            BadRequestError,
            ClientClosedRequestError,
            AuthenticationError,
            PermissionDeniedError,
            NotFoundError,
            PayloadTooLargeError,
            UnsupportedMediaTypeError,
            UnprocessableDocumentError,
            RateLimitError,
            ServiceUnavailableError,
            UpstreamError,
            UpstreamTimeoutError,
        )
        if cls.default_code
    }
    | {
        "concurrency_limit_exceeded",
        "invalid_json",
        "json_too_deep",
        "method_not_allowed",
        "missing_required_parameter",
        "model_not_found",
        "request_timeout",
        "state_unavailable",
        "too_many_connections",
        "too_many_redirects",
        "upstream_auth_failed",
        "upstream_event_too_large",
        "upstream_response_too_large",
        "url_fetch_failed",
        "url_not_allowed",
    }
)
"""Codes the gateway itself answers with (metrics keep these as labels)."""

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_PARAM = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_.:$\[\]-]{0,63}")


def bounded_code(value: object) -> str | None:
    """An upstream's error ``code`` fit to pass on: an identifier of at most 64 characters
    (``context_length_exceeded``, ``1500``), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, int):
        value = str(value) if -(10**63) < value < 10**63 else ""
    return value if _CODE.fullmatch(value) else None


def bounded_param(value: object) -> str | None:
    """An upstream's ``param`` fit to pass on: a field path of at most 64 characters
    (``messages[0].content``), else ``None``."""
    return value if isinstance(value, str) and _PARAM.fullmatch(value) else None


class ErrorDetail(msgspec.Struct):
    """The inside of the envelope: what went wrong, and which request field (``param``)."""

    message: str
    type: str
    param: str | None
    code: str | None


class ErrorEnvelope(msgspec.Struct):
    """The OpenAI error envelope every error response has (also the OpenAPI schema of errors)."""

    error: ErrorDetail


_encoder = msgspec.json.Encoder()


def error_body(exc: GatewayError) -> bytes:
    """Encode ``exc`` as the OpenAI error envelope."""
    return _encoder.encode(ErrorEnvelope(ErrorDetail(exc.message, exc.type, exc.param, exc.code)))


def error_payload(exc: GatewayError) -> dict[str, Any]:
    """The envelope as a plain dict (for SSE error events)."""
    return {
        "error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    }


_STATUS_CLASSES: dict[int, type[GatewayError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    410: GoneError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableDocumentError,
    503: ServiceUnavailableError,
    504: UpstreamTimeoutError,
}


def from_status(status: int, message: str, *, param: str | None = None) -> GatewayError:
    """Build the gateway error that best fits an HTTP status (used for framework errors)."""
    if status == 429:
        return RateLimitError(message, retry_after=1.0, param=param)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        if status == 405:
            return BadRequestError(message, code="method_not_allowed", status=405, param=param)
        if 400 <= status < 500:
            return BadRequestError(message, param=param, status=status)
        return GatewayError(message, param=param, status=status)
    return cls(message, param=param)
