"""Client input that used to become a 500, against ``aigateway serve`` as shipped.

JSON nested a thousand deep (as the body, in a ``pages`` string, in the multipart fields
``document`` and ``document_annotation_format``, in chat and embeddings bodies), a multipart
text part in an unknown charset, integers past 64 bits, urlencoded bodies of tiny fields, JSON
fillers that would decode into gigabytes of lists, and ``/admin/usage`` while Redis is down.
Every answer is the error envelope with a 4xx (503 for the outage) naming the field.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aigateway.tenancy.auth import hash_key
from tests.support.docgen import text_png
from tests.support.redis_server import redis_server
from tests.support.server import GatewayProcess, gateway_server
from tests.support.upstreams.hostile import HostileUpstream

pytestmark = pytest.mark.slow

ADMIN = "admin-secret-key"
CONFIG = """
[limits]
max_size_upload = 31457280

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "{url}"
api_key = "k"

[[chat_models]]
id = "up"
base_url = "{url}/v1"
models = ["fine"]

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral"]
chat_model_refs = ["up"]
"""
DEEP = 1000
PNG_B64 = base64.b64encode(text_png("hostile")).decode()
HUGE = "9" * 5000


@pytest.fixture(scope="module")
def upstream() -> Iterator[HostileUpstream]:
    fake = HostileUpstream(size=16).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def gw(upstream: HostileUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with gateway_server(CONFIG.format(url=upstream.url), tmp_path_factory.mktemp("gw")) as g:
        yield g


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text[:400]
    body = r.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def _post_json(gw: GatewayProcess, path: str, raw: str | bytes) -> httpx.Response:
    content = raw.encode() if isinstance(raw, str) else raw
    return httpx.post(
        gw.url + path, content=content, headers={"content-type": "application/json"}, timeout=60
    )


JSON_CASES = [
    pytest.param("/v1/ocr", '{"extra": ' + _nested(DEEP) + "}", "extra", id="ocr-body"),
    pytest.param("/v1/ocr", '{"document": ' + _nested(DEEP) + "}", "document", id="ocr-document"),
    pytest.param(
        "/v1/ocr",
        json.dumps({"document_base64": PNG_B64, "pages": _nested(DEEP)}),
        "pages",
        id="ocr-pages-string",
    ),
    pytest.param(
        "/v1/ocr",
        json.dumps({"document_base64": PNG_B64})[:-1]
        + ', "document_annotation_format": '
        + _nested(100)
        + "}",
        "document_annotation_format",
        id="ocr-annotation-100",
    ),
    pytest.param(
        "/v1/chat/completions",
        '{"model": "fine", "messages": ' + _nested(DEEP) + "}",
        "messages",
        id="chat-1000",
    ),
    pytest.param(
        "/v1/chat/completions",
        '{"model": "fine", "messages": [{"role": "user", "content": ' + _nested(100) + "}]}",
        "messages",
        id="chat-100",
    ),
    pytest.param(
        "/v1/embeddings", '{"model": "fine", "input": ' + _nested(DEEP) + "}", "input", id="embed"
    ),
]


@pytest.mark.parametrize(("path", "body", "param"), JSON_CASES)
def test_deep_json_is_a_400_naming_the_field(
    gw: GatewayProcess, path: str, body: str, param: str | None
) -> None:
    error = _error(_post_json(gw, path, body), 400)
    assert error["param"] == param
    assert "deeper than 64" in error["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("document", '{"type": "document_url", "document_url": ' + _nested(DEEP) + "}"),
        ("document_annotation_format", _nested(DEEP)),
        ("bbox_annotation_format", '{"a": ' + _nested(200) + "}"),
        ("pages", _nested(DEEP)),
    ],
)
def test_deep_json_in_multipart_fields_is_a_400_naming_the_field(
    gw: GatewayProcess, field: str, value: str
) -> None:
    files = {"image": ("scan.png", base64.b64decode(PNG_B64), "image/png")}
    r = httpx.post(gw.url + "/v1/ocr", data={field: value}, files=files, timeout=30)
    error = _error(r, 400)
    assert error["param"] is not None and error["param"].startswith(field)


@pytest.mark.parametrize("charset", ["nonexistent-cs", "rot13", "zlib", "idna"])
def test_unknown_or_binary_charset_is_a_400_naming_the_field(
    gw: GatewayProcess, charset: str
) -> None:
    boundary = "hostileboundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="pages"\r\n'
            f"Content-Type: text/plain; charset={charset}\r\n\r\n"
            "0\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="image"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + base64.b64decode(PNG_B64)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = httpx.post(
        gw.url + "/v1/ocr",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )
    error = _error(r, 400)
    assert error["param"] == "pages"
    assert "charset" in error["message"]


def test_known_charsets_still_work(gw: GatewayProcess) -> None:
    boundary = "b0undary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="model"\r\n'
            "Content-Type: text/plain; charset=utf-16\r\n\r\n"
        ).encode()
        + "mistral-ocr-latest".encode("utf-16")
        + (
            f"\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="image"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + base64.b64decode(PNG_B64)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = httpx.post(
        gw.url + "/v1/ocr",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text[:300]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (f'{{"document_base64": "{PNG_B64}", "image_limit": {HUGE}}}', "image_limit"),
        (f'{{"document_base64": "{PNG_B64}", "pages": "[{HUGE}]"}}', "pages"),
        (f'{{"document_base64": "{PNG_B64}", "pages": [{HUGE}]}}', "pages"),
    ],
)
def test_integers_past_64_bits_are_a_400(gw: GatewayProcess, body: str, param: str) -> None:
    assert _error(_post_json(gw, "/v1/ocr", body), 400)["param"] == param


def test_non_string_field_over_the_field_cap_is_a_413_naming_it(gw: GatewayProcess) -> None:
    pages = "[" + ",".join(["0"] * 600_000) + "]"
    body = f'{{"document_base64": "{PNG_B64}", "pages": {pages}}}'
    assert _error(_post_json(gw, "/v1/ocr", body), 413)["param"] == "pages"


def test_json_filler_is_never_decoded(gw: GatewayProcess) -> None:
    # 24 MB of empty lists in a field nobody reads: 8 million lists if decoded (~500 MB).
    filler = "[" + "[]," * 8_000_000 + "[]]"
    body = f'{{"junk": {filler}, "document_base64": "{PNG_B64}"}}'
    r = _post_json(gw, "/v1/ocr", body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["usage_info"]["pages_processed"] == 1


def test_urlencoded_body_of_many_tiny_fields_is_a_400(gw: GatewayProcess) -> None:
    r = httpx.post(
        gw.url + "/v1/ocr",
        content=b"a&" * 500_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert "fields" in _error(r, 400)["message"]


def test_error_messages_do_not_echo_megabytes(gw: GatewayProcess) -> None:
    body = json.dumps({"document_base64": PNG_B64, "content_type": "x" * 5_000_000})
    r = _post_json(gw, "/v1/ocr", body)
    _error(r, 400)
    assert len(r.content) < 1000


def test_the_server_logged_no_traceback(gw: GatewayProcess) -> None:
    log = gw.log()
    assert "Traceback" not in log
    assert "unhandled error" not in log


def test_admin_usage_while_redis_is_down_is_a_503(
    upstream: HostileUpstream, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with redis_server() as redis:
        config = (
            f'admin_key = "{hash_key(ADMIN)}"\n'
            + CONFIG.format(url=upstream.url)
            + f'\n[state]\nbackend = "redis"\nurl = "{redis.url}"\n'
        )
        with gateway_server(config, tmp_path_factory.mktemp("admin")) as g:
            auth = {"authorization": f"Bearer {ADMIN}"}
            assert httpx.get(g.url + "/admin/usage", headers=auth, timeout=10).status_code == 200
            redis.stop()
            r = httpx.get(g.url + "/admin/usage", headers=auth, timeout=30)
            error = _error(r, 503)
            assert error["code"] == "state_unavailable"
            assert "Retry-After" in r.headers
            assert "Traceback" not in g.log()


@pytest.mark.parametrize("size", [100_000, 1 << 20, 5_000_000])
def test_real_size_documents_pass_the_pruned_decoder(
    gw: GatewayProcess, upstream: HostileUpstream, size: int
) -> None:
    doc = b"%PDF-1.4\n" + bytes(range(256)) * (size // 256)
    b64 = base64.b64encode(doc).decode()
    forms = [
        {"document_base64": b64, "junk": [[]] * 1000, "pages": [0]},
        {
            "document": {
                "type": "document_url",
                "document_url": f"data:application/pdf;base64,{b64}",
            }
        },
    ]
    for body in forms:
        upstream.requests.clear()
        r = _post_json(gw, "/v1/ocr", json.dumps(body))
        assert r.status_code == 200, r.text[:300]
        sent = upstream.requests[-1].json()["document"]["document_url"]
        assert sent == f"data:application/pdf;base64,{b64}"
    # The same document next to a field nested too deep is refused before anything is sent.
    upstream.requests.clear()
    deep = json.dumps({"document_base64": b64})[:-1] + ', "bbox_annotation_format": '
    r = _post_json(gw, "/v1/ocr", deep + _nested(DEEP) + "}")
    assert _error(r, 400)["param"] == "bbox_annotation_format"
    assert upstream.requests == []
