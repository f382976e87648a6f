"""The one error tree and its envelope: every class's status, type and code; framework errors
(404, 405, 413, validation) and unhandled ones through the app, in the same envelope."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from aigateway import create_app, parse_config
from aigateway.errors import (
    GATEWAY_CODES,
    AuthenticationError,
    BadRequestError,
    GatewayError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UnprocessableDocumentError,
    UnsupportedMediaTypeError,
    UpstreamError,
    UpstreamTimeoutError,
    error_body,
    error_payload,
    from_status,
)

CLASSES: list[tuple[type[GatewayError], int, str, str]] = [
    (GatewayError, 500, "server_error", "internal_error"),
    (BadRequestError, 400, "invalid_request_error", "invalid_value"),
    (AuthenticationError, 401, "invalid_request_error", "invalid_api_key"),
    (PermissionDeniedError, 403, "invalid_request_error", "permission_denied"),
    (NotFoundError, 404, "invalid_request_error", "not_found"),
    (PayloadTooLargeError, 413, "invalid_request_error", "payload_too_large"),
    (UnsupportedMediaTypeError, 415, "invalid_request_error", "unsupported_media_type"),
    (UnprocessableDocumentError, 422, "invalid_request_error", "unprocessable_document"),
    (ServiceUnavailableError, 503, "server_error", "overloaded"),
    (UpstreamError, 502, "upstream_error", "upstream_error"),
    (UpstreamTimeoutError, 504, "upstream_error", "upstream_timeout"),
]


@pytest.mark.parametrize(("cls", "status", "type_", "code"), CLASSES)
def test_every_class_renders_its_status_type_and_code(
    cls: type[GatewayError], status: int, type_: str, code: str
) -> None:
    exc = cls("what went wrong", param="field.path")
    assert exc.status_code == status
    body = json.loads(error_body(exc))
    assert body == {
        "error": {"message": "what went wrong", "type": type_, "param": "field.path", "code": code}
    }
    assert error_payload(exc) == body
    assert code in GATEWAY_CODES


def test_rate_limit_and_overload_carry_retry_after() -> None:
    limited = RateLimitError("slow down", retry_after=1.2)
    assert (limited.status_code, limited.type, limited.code) == (
        429,
        "rate_limit_exceeded",
        "rate_limit_exceeded",
    )
    assert limited.headers == {"Retry-After": "2", "retry-after-ms": "1200"}
    assert ServiceUnavailableError("busy", retry_after=0.1).headers["Retry-After"] == "1"
    assert AuthenticationError("who").headers == {"WWW-Authenticate": "Bearer"}


def test_codes_override_and_upstream_4xx_keep_their_status() -> None:
    exc = UpstreamError("the upstream refused it", status=409, code="conflict")
    assert exc.status_code == 409 and exc.type == "upstream_error" and exc.code == "conflict"


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, BadRequestError, "invalid_value"),
        (401, AuthenticationError, "invalid_api_key"),
        (403, PermissionDeniedError, "permission_denied"),
        (404, NotFoundError, "not_found"),
        (405, BadRequestError, "method_not_allowed"),
        (409, BadRequestError, "invalid_value"),
        (413, PayloadTooLargeError, "payload_too_large"),
        (415, UnsupportedMediaTypeError, "unsupported_media_type"),
        (422, UnprocessableDocumentError, "unprocessable_document"),
        (429, RateLimitError, "rate_limit_exceeded"),
        (500, GatewayError, "internal_error"),
        (503, ServiceUnavailableError, "overloaded"),
        (504, UpstreamTimeoutError, "upstream_timeout"),
    ],
)
def test_from_status_picks_the_class(status: int, cls: type[GatewayError], code: str) -> None:
    exc = from_status(status, "m", param="p")
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.code == code
    assert exc.param == "p"


APP = """
[limits]
max_size_upload = 1000

[[ocr_models]]
id = "m"
provider = "mistral"
base_url = "http://127.0.0.1:9"

[[routes]]
path = "/"
ocr_model_refs = ["m"]
"""


def assert_envelope(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["x-request-id"]
    error: dict[str, Any] = msgspec.json.decode(resp.content)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code
    return error


async def test_framework_errors_through_the_app() -> None:
    async with AsyncTestClient(create_app(parse_config(APP))) as client:
        missing = assert_envelope(await client.get("/nothing/here"), 404, "not_found")
        assert "no such endpoint: GET /nothing/here" in missing["message"]
        method = assert_envelope(await client.delete("/v1/ocr"), 405, "method_not_allowed")
        assert "DELETE" in method["message"]
        # Over the route's body cap: refused before the handler reads a byte of it.
        big = b"{" + b" " * 2_000_000 + b"}"
        too_large = assert_envelope(
            await client.post("/v1/ocr", content=big, headers={"content-type": "application/json"}),
            413,
            "payload_too_large",
        )
        assert too_large["type"] == "invalid_request_error"


async def test_an_unhandled_error_is_a_500_envelope_without_its_detail() -> None:
    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    app = create_app(parse_config(APP))
    # The app's own handlers answer every exception, whatever raised it.
    outer = Litestar(route_handlers=[boom], exception_handlers=app.exception_handlers)
    async with AsyncTestClient(outer) as client:
        resp = await client.get("/boom")
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert error["type"] == "server_error" and error["code"] == "internal_error"
    assert "internal error" in error["message"] and "secret detail" not in error["message"]
