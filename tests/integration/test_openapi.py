"""The OpenAPI document and the docs page, in process: shape, coverage, switches, mounting.

The served checks (schemathesis against ``aigateway serve``) are in ``test_schemathesis.py``;
the docs page in a browser in ``test_playground_browser.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import urljoin

import httpx
import jsonschema
import pytest
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

import aigateway.openapi.site as site
from aigateway.config import parse_config
from aigateway.errors import ConfigError
from aigateway.openapi import mounted_handlers
from aigateway.openapi.operations import SAMPLE_PDF
from aigateway.tenancy.auth import hash_key

from ..support.echo import echo_app, echo_settings

pytestmark = pytest.mark.usefixtures("echo_provider")

CHAT = """
[[chat_models]]
id = "up"
base_url = "http://127.0.0.1:9/v1"
models = ["gpt-test"]
"""


def chat_settings(extra: str = "", top: str = "") -> Any:
    """An openai_compat route "/" (echo OCR entity, one chat entity) and an ocr route "/scan"."""
    text = (
        top
        + """
[limits]
max_size_upload = 65536

[[ocr_models]]
id = "echo"
provider = "echo"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["echo"]
chat_model_refs = ["up"]

[[routes]]
path = "/scan"
plugin = "ocr"
refs = ["echo"]
"""
        + CHAT
        + extra
    )
    return parse_config(text)


def _validator(doc: dict[str, Any], ref: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": ref, "components": doc["components"]})


def _schema_ref(doc: dict[str, Any], path: str, method: str, status: str = "200") -> str:
    content = doc["paths"][path][method]["responses"][status]
    if "$ref" in content:
        content = doc["components"]["responses"][content["$ref"].rsplit("/", 1)[1]]
    ref: str = content["content"]["application/json"]["schema"]["$ref"]
    return ref


async def test_document_is_valid_openapi_31_and_covers_every_mounted_route() -> None:
    app = echo_app(chat_settings())
    async with AsyncTestClient(app) as c:
        r = await c.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    mounted = {(h.path, h.method) for h in mounted_handlers(app)}
    documented = {(p, m) for p, item in doc["paths"].items() for m in item}
    assert documented == mounted
    assert {p for p, _ in mounted} >= {
        "/v1/ocr",
        "/ocr",
        "/scan",
        "/scan/v1/ocr",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/models",
        "/v1/models/{model_id}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/admin/usage",
        "/playground/preview",
    }
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "x-undocumented" not in op, (path, method)
            assert op["operationId"]
            ok = op["responses"]["200"]
            assert ok["headers"]["x-request-id"]["$ref"] == "#/components/headers/RequestId"
    ocr = doc["paths"]["/v1/ocr"]["post"]
    assert set(ocr["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"400", "413", "415", "422", "503"} <= set(ocr["responses"])
    chat = doc["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert set(chat) == {"application/json", "text/event-stream"}
    # The docs pages themselves are not API operations.
    assert not {"/openapi.json", "/docs", "/playground"} & set(doc["paths"])


async def test_paths_follow_the_configured_prefixes() -> None:
    text = """
[[ocr_models]]
id = "echo"
provider = "echo"

[[routes]]
path = "/api"
plugin = "openai_compat"
ocr_model_refs = ["echo"]
chat_model_refs = ["up"]

[[routes]]
path = "/tools/scan"
plugin = "ocr"
refs = ["echo"]
max_size_upload = 2048
"""
    async with AsyncTestClient(echo_app(parse_config(text + CHAT))) as c:
        doc = (await c.get("/openapi.json")).json()
        paths = set(doc["paths"])
        assert {"/api/v1/ocr", "/api/ocr", "/api/v1/chat/completions", "/api/v1/models"} <= paths
        assert {"/tools/scan", "/tools/scan/v1/ocr"} <= paths
        assert "/v1/ocr" not in paths
        # The route's own cap is in its description.
        assert "2048 bytes" in doc["paths"]["/tools/scan"]["post"]["description"]
        # And each documented path answers.
        r = await c.post("/tools/scan/v1/ocr", json={"document_url": SAMPLE_PDF})
        assert r.status_code == 200


async def test_response_schemas_say_what_is_always_encoded() -> None:
    async with AsyncTestClient(echo_app(chat_settings())) as c:
        doc = (await c.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    page = schemas["OcrPage"]
    # Always encoded (the SDKs need them), even when null or empty…
    assert {"index", "markdown", "images", "dimensions"} <= set(page["required"])
    # …while fields a provider may not return are left out when absent.
    assert not {"tables", "header", "footer"} & set(page["required"])
    assert {"top_left_x", "bottom_right_y"} <= set(schemas["OcrImage"]["required"])
    assert schemas["OcrResponse"]["required"] == [
        "model",
        "text",
        "pages",
        "usage_info",
        "document_annotation",
    ]
    upload = schemas["OcrMultipartRequest"]["properties"]["image"]
    assert upload["format"] == "binary"


async def test_real_responses_match_their_schemas() -> None:
    async with AsyncTestClient(echo_app(chat_settings())) as c:
        doc = (await c.get("/openapi.json")).json()
        example = doc["paths"]["/v1/ocr"]["post"]["requestBody"]["content"]["application/json"]
        _validator(doc, "#/components/schemas/OcrJsonRequest").validate(example["example"])
        ok = await c.post("/v1/ocr", json=example["example"])
        assert ok.status_code == 200
        _validator(doc, _schema_ref(doc, "/v1/ocr", "post")).validate(ok.json())
        form = await c.post(
            "/scan", files={"image": ("a.pdf", b"%PDF-1.4 x", "application/pdf")}, data={}
        )
        assert form.status_code == 200
        _validator(doc, _schema_ref(doc, "/scan", "post")).validate(form.json())
        bad = await c.post("/v1/ocr", json={"pages": "x", "document_base64": "aGk="})
        assert bad.status_code == 400
        _validator(doc, _schema_ref(doc, "/v1/ocr", "post", "400")).validate(bad.json())
        for path in ("/v1/models", "/healthz", "/readyz"):
            r = await c.get(path)
            assert r.status_code == 200, path
            _validator(doc, _schema_ref(doc, path, "get")).validate(r.json())
        card = await c.get("/v1/models/gpt-test")
        _validator(doc, _schema_ref(doc, "/v1/models/{model_id}", "get")).validate(card.json())


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        pytest.param({"document": {"type": "document_url", "document_url": "data:,x"}}, True),
        pytest.param({"document": {"type": "image_url", "image_url": {"url": "x"}}}, True),
        pytest.param({"document_base64": "aGk=", "pages": "0-2,5"}, True),
        pytest.param({"document_base64": "aGk=", "pages": [0, 3]}, True),
        pytest.param({"document_base64": "aGk=", "table_format": "latex"}, False),
        pytest.param({"document_base64": "aGk=", "image_limit": -1}, False),
        pytest.param({"document_base64": "aGk=", "pages": "zero"}, False),
        pytest.param({"document_base64": "aGk=", "content_type": "pdf"}, False),
    ],
)
async def test_request_schema_agrees_with_the_handler(body: dict[str, Any], valid: bool) -> None:
    # What the schema calls invalid, the handler refuses with a 400 naming the field.
    async with AsyncTestClient(echo_app(chat_settings())) as c:
        doc = (await c.get("/openapi.json")).json()
        errors = list(_validator(doc, "#/components/schemas/OcrJsonRequest").iter_errors(body))
        assert (not errors) is valid, errors
        if not valid:
            r = await c.post("/v1/ocr", json=body)
            assert r.status_code == 400
            assert r.json()["error"]["param"] in body


async def test_docs_switches() -> None:
    async with AsyncTestClient(echo_app(chat_settings("[docs]\nenabled = false\n"))) as c:
        for path in ("/openapi.json", "/docs"):
            r = await c.get(path)
            assert r.status_code == 404
            assert r.json()["error"]["code"] == "not_found"
    async with AsyncTestClient(echo_app(chat_settings("[docs]\npage = false\n"))) as c:
        assert (await c.get("/openapi.json")).status_code == 200
        assert (await c.get("/docs")).status_code == 404
    off = chat_settings("[playground]\nenabled = false\n")
    async with AsyncTestClient(echo_app(off)) as c:
        doc = (await c.get("/openapi.json")).json()
        assert "/playground/preview" not in doc["paths"]
        assert (await c.get("/playground")).status_code == 404
    with pytest.raises(ConfigError, match=r"unknown field `enable` - at `\$\.docs`"):
        chat_settings("[docs]\nenable = false\n")


async def test_document_is_built_once_per_app(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = site.build_document

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(site, "build_document", counting)
    app = echo_app(chat_settings())
    assert len(calls) == 1
    async with AsyncTestClient(app) as c:
        bodies = {(await c.get("/openapi.json")).content for _ in range(5)}
        await c.get("/docs")
    assert len(calls) == 1 and len(bodies) == 1
    echo_app(chat_settings())  # another app, its own document
    assert len(calls) == 2


async def test_tenants_keep_entity_names_out_of_public_pages() -> None:
    text = f"""
[[ocr_models]]
id = "secret-ocr-entity"
provider = "echo"

[[chat_models]]
id = "secret-chat-entity"
base_url = "http://127.0.0.1:9/v1"
models = ["secret-model-name"]

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["secret-ocr-entity"]
chat_model_refs = ["secret-chat-entity"]

[[tenants]]
id = "acme"
api_keys = ["{hash_key("acme-key-123456")}"]
"""
    async with AsyncTestClient(echo_app(parse_config(text))) as c:
        doc = await c.get("/openapi.json")
        docs = await c.get("/docs")
        playground = await c.get("/playground")
        models = await c.get("/v1/models")
    for r in (doc, docs, playground):
        assert r.status_code == 200
        assert b"secret-" not in r.content
    assert models.status_code == 401  # the list needs a key
    body = doc.json()
    assert body["security"] == [{"bearer": []}, {"apiKey": []}]
    assert body["paths"]["/healthz"]["get"]["security"] == []
    assert "401" in body["paths"]["/v1/ocr"]["post"]["responses"]
    assert json.loads(_data_block(playground.text))["auth"] is True


def _data_block(html: str) -> str:
    m = re.search(r'<script type="application/json" id="\w+">(.*?)</script>', html, re.S)
    assert m is not None
    return m.group(1)


def _csp_hashes(csp: str) -> dict[str, str]:
    out = {}
    for directive in csp.split(";"):
        name, *values = directive.split()
        for v in values:
            if v.startswith("'sha256-"):
                out[name] = v.strip("'")[7:]
    return out


@pytest.mark.parametrize("path", ["/docs", "/playground"])
async def test_pages_are_self_contained_and_locked_down(path: str) -> None:
    # An entity id that tries to close the data block stays inside it.
    hostile = "evil</script><script>alert(1)</script>"
    settings_ = parse_config(
        f"""
[[ocr_models]]
id = "{hostile}"
provider = "echo"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["{hostile}"]
"""
    )
    async with AsyncTestClient(echo_app(settings_)) as c:
        r = await c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert html.count("<script") == 2  # the data block and the one inline script
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from elsewhere
    hashes = _csp_hashes(r.headers["content-security-policy"])
    script = re.findall(r"<script>(.*?)</script>", html, re.S)
    style = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(script) == 1 and len(style) == 1
    digest = base64.b64encode(hashlib.sha256(script[0].encode()).digest()).decode()
    assert hashes["script-src"] == digest
    digest = base64.b64encode(hashlib.sha256(style[0].encode()).digest()).decode()
    assert hashes["style-src"] == digest
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    data = json.loads(_data_block(html))
    assert hostile in json.dumps(data)


async def test_wrong_method_is_405_with_allow() -> None:
    async with AsyncTestClient(echo_app(chat_settings())) as c:
        r = await c.get("/v1/ocr")
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]
    assert r.json()["error"]["code"] == "method_not_allowed"


async def test_document_is_right_when_mounted_under_a_prefix() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    gateway = echo_app(chat_settings())
    host = Starlette(routes=[Mount("/ai", app=gateway)])
    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as c:
        doc_url = "http://host/ai/openapi.json"
        doc = (await c.get(doc_url)).json()
        # Clients resolve the relative server URL against the document's own URL.
        base = urljoin(doc_url, doc["servers"][0]["url"]).rstrip("/")
        assert base == "http://host/ai"
        example = doc["paths"]["/v1/ocr"]["post"]["requestBody"]["content"]["application/json"]
        r = await c.post(base + "/v1/ocr", json=example["example"])
        assert r.status_code == 200, r.text
        for path in ("/docs", "/playground"):
            assert (await c.get(base + path)).status_code == 200
        r = await c.post(
            base + "/playground/preview",
            files={"image": ("a.png", _png(), "image/png")},
        )
        assert r.status_code == 200
    await gateway.state.runtime.aclose()


def _png() -> bytes:
    from ..support.docgen import text_png

    return text_png("hello", size=20, width=200)


def test_config_rejects_bad_playground_values() -> None:
    with pytest.raises(ConfigError, match=r"\$\.playground\.preview_dpi"):
        echo_settings("[playground]\npreview_dpi = 5000\n")
    with pytest.raises(ConfigError, match=r"\$\.playground\.preview_max_pages"):
        echo_settings("[playground]\npreview_max_pages = 0\n")
