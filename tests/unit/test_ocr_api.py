"""The OCR endpoint over HTTP (in-process): transports, selection, limits, auth, errors."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
from litestar import Litestar, asgi
from litestar.testing import AsyncTestClient

from aigateway.tenancy.auth import hash_key

from ..support.echo import echo_app, echo_settings

pytestmark = pytest.mark.usefixtures("echo_provider")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
PDF = b"%PDF-1.4\n" + b"0" * 300


def summary(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return dict(json.loads(body["pages"][0]["markdown"]))


def assert_envelope(resp: httpx.Response, status: int, param: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["message"]
    if param is not None:
        assert err["param"] == param
    assert resp.headers["x-request-id"]
    return dict(err)


@pytest.fixture
async def client() -> Any:
    async with AsyncTestClient(echo_app(echo_settings())) as c:
        yield c


async def test_json_and_multipart_reach_the_provider_identically(
    client: AsyncTestClient[Any],
) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    b64 = base64.b64encode(PNG).decode()
    a = summary(await client.post("/v1/ocr", json={"document_base64": b64}))
    b = summary(await client.post("/ocr", files={"image": ("scan.png", PNG, "image/png")}))
    c = summary(
        await client.post("/v1/ocr", files={"file": ("scan", PNG, "application/octet-stream")})
    )
    d = summary(
        await client.post(
            "/v1/ocr",
            json={"document": {"type": "image_url", "image_url": f"data:image/png;base64,{b64}"}},
        )
    )
    for s in (a, b, c, d):
        assert (s["sha256"], s["media_type"], s["size"]) == (digest, "image/png", len(PNG))


async def test_response_shape_and_status(client: AsyncTestClient[Any]) -> None:
    resp = await client.post("/v1/ocr", json={"document_base64": base64.b64encode(PDF).decode()})
    assert resp.status_code == 200
    body = resp.json()
    assert body["model"] == "echo-1"
    assert body["text"] == body["pages"][0]["markdown"]
    assert body["usage_info"] == {"pages_processed": 1, "doc_size_bytes": len(PDF)}
    assert body["pages"][0]["images"] == []
    assert "dimensions" in body["pages"][0]
    assert body["document_annotation"] is None
    assert resp.headers["x-aigateway-provider"] == "echo"


async def test_multipart_fields_parsed_like_json(client: AsyncTestClient[Any]) -> None:
    s = summary(
        await client.post(
            "/v1/ocr",
            files={"image": ("d.pdf", PDF, "application/pdf")},
            data={"pages": "0,2", "pdf_password": "pw", "include_image_base64": "true"},
        )
    )
    assert s["pages"] == [0, 2]
    assert s["pdf_password"] == "pw"
    assert s["include_image_base64"] is True
    resp = await client.post(
        "/v1/ocr", files={"image": ("d.pdf", PDF, "application/pdf")}, data={"pages": "x"}
    )
    assert_envelope(resp, 400, "pages")


async def test_two_documents_in_one_form_are_refused_not_half_read(
    client: AsyncTestClient[Any],
) -> None:
    # Reading the first and dropping the second answered for a document nobody asked about.
    for second in ("file", "image"):
        resp = await client.post(
            "/v1/ocr",
            files=[
                ("file", ("a.png", PNG, "image/png")),
                (second, ("b.pdf", PDF, "application/pdf")),
            ],
        )
        assert_envelope(resp, 400, second)
        assert "more than one document" in resp.json()["error"]["message"]
    # A text part beside the document is a field, not a second document.
    resp = await client.post(
        "/v1/ocr", files={"file": ("a.png", PNG, "image/png")}, data={"pages": "0"}
    )
    assert resp.status_code == 200


async def test_entity_selection(client: AsyncTestClient[Any]) -> None:
    doc = {"document_base64": base64.b64encode(PNG).decode()}
    assert summary(await client.post("/v1/ocr", json=doc))["model"] == "echo-1"
    by_model = await client.post("/v1/ocr", json={**doc, "model": "echo2"})
    assert by_model.headers["x-aigateway-provider"] == "echo2"
    assert summary(by_model)["model"] == "second-model"
    override = await client.post("/v1/ocr", json={**doc, "model": "custom-upstream"})
    assert override.headers["x-aigateway-provider"] == "echo"
    assert summary(override)["model"] == "custom-upstream"
    by_provider = await client.post("/v1/ocr", json={**doc, "provider": "echo2", "model": "m2"})
    assert by_provider.headers["x-aigateway-provider"] == "echo2"
    assert summary(by_provider)["model"] == "m2"
    err = assert_envelope(await client.post("/v1/ocr", json={**doc, "provider": "nope"}), 404)
    assert err["param"] == "provider" and "echo, echo2" in err["message"]
    # /scan only has echo2: echo exists but is not on that route.
    err = assert_envelope(await client.post("/scan", json={**doc, "provider": "echo"}), 404)
    assert "not available on this route" in err["message"] and "echo2" in err["message"]


async def test_ocr_plugin_route_serves_its_path_and_sdk_path(client: AsyncTestClient[Any]) -> None:
    doc = {"document_base64": base64.b64encode(PNG).decode()}
    for path in ("/scan", "/scan/v1/ocr"):
        resp = await client.post(path, json=doc)
        assert resp.headers["x-aigateway-provider"] == "echo2"


@pytest.mark.parametrize(
    ("kwargs", "status", "param"),
    [
        pytest.param(
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
            400,
            None,
            id="bad-json",
        ),
        pytest.param({"json": [1, 2]}, 400, None, id="json-array"),
        pytest.param(
            {"json": {"document": {"type": "image_url"}}},
            400,
            "document.image_url",
            id="missing-url",
        ),
        pytest.param(
            {"content": b"x", "headers": {"content-type": "text/csv"}},
            415,
            "content-type",
            id="csv-body",
        ),
        pytest.param(
            {"json": {"document_base64": base64.b64encode(b"just text").decode()}},
            415,
            "document_base64",  # the field that carried it: no content_type was sent
            id="unsupported-doc",
        ),
        pytest.param(
            {
                "json": {
                    "document_base64": base64.b64encode(b"just text").decode(),
                    "content_type": "text/plain",
                }
            },
            415,
            "content_type",
            id="unsupported-declared-type",
        ),
        pytest.param(
            {"files": {"file": ("notes.txt", b"just text", "text/plain")}},
            415,
            "file",
            id="unsupported-upload",
        ),
        pytest.param(
            {
                "json": {
                    "document_base64": base64.b64encode(PNG).decode(),
                    "content_type": "text/html",
                }
            },
            415,
            "content_type",
            id="declared-unsupported",
        ),
    ],
)
async def test_error_statuses(
    client: AsyncTestClient[Any], kwargs: dict[str, Any], status: int, param: str | None
) -> None:
    err = assert_envelope(await client.post("/v1/ocr", **kwargs), status, param)
    if param == "content_type":
        assert "application/pdf" in err["message"]


async def test_framework_errors_use_the_envelope(client: AsyncTestClient[Any]) -> None:
    assert_envelope(await client.get("/v1/nothing"), 404)
    err = assert_envelope(await client.get("/v1/ocr"), 405)
    assert "GET" in err["message"]


async def test_size_limits_json_multipart_and_decoded() -> None:
    # /scan allows 1024 decoded bytes.
    async with AsyncTestClient(echo_app(echo_settings())) as c:
        ok = PNG + b"\0" * (1024 - len(PNG))
        assert (
            await c.post("/scan", files={"image": ("a.png", ok, "image/png")})
        ).status_code == 200
        assert (
            await c.post("/scan", json={"document_base64": base64.b64encode(ok).decode()})
        ).status_code == 200
        big = ok + b"\0"
        err = assert_envelope(
            await c.post("/scan", files={"image": ("a.png", big, "image/png")}), 413
        )
        assert "1024" in err["message"]
        err = assert_envelope(
            await c.post("/scan", json={"document_base64": base64.b64encode(big).decode()}), 413
        )
        assert "1024" in err["message"]
        # A data URI that is not base64 is also counted on decoded bytes.
        err = assert_envelope(
            await c.post("/scan", json={"document_url": "data:image/png," + "A" * 1100}), 413
        )
        # A declared Content-Length over the cap is refused before the body is read.
        huge = b"x" * 4_000_000
        assert_envelope(
            await c.post("/scan", content=huge, headers={"content-type": "application/json"}), 413
        )


TENANTS = """
[[tenants]]
id = "acme"
api_keys = ["{digest}"]
allowed_refs = ["echo2"]
limits = {{ max_size_upload = 512 }}

[[tenants]]
id = "globex"
api_keys = ["${{GLOBEX_KEY}}"]
"""


@pytest.fixture
async def auth_client() -> Any:
    extra = TENANTS.format(digest=hash_key("acme-secret-key"))
    app = echo_app(echo_settings(extra, GLOBEX_KEY="globex-secret-key"))
    async with AsyncTestClient(app) as c:
        yield c


async def test_auth_required_and_keys_resolve_tenants(auth_client: AsyncTestClient[Any]) -> None:
    doc = {"document_base64": base64.b64encode(PNG).decode()}
    err = assert_envelope(await auth_client.post("/v1/ocr", json=doc), 401)
    assert err["code"] == "invalid_api_key"
    bad = await auth_client.post(
        "/v1/ocr", json=doc, headers={"authorization": "Bearer wrong-key-123"}
    )
    err = assert_envelope(bad, 401)
    assert "wrong-key-123" not in bad.text
    assert_envelope(
        await auth_client.post("/v1/ocr", json=doc, headers={"authorization": "Basic x"}), 401
    )
    globex = {"authorization": "Bearer globex-secret-key"}
    resp = await auth_client.post("/v1/ocr", json=doc, headers=globex)
    assert resp.headers["x-aigateway-provider"] == "echo"
    # acme may only use echo2: the default (first allowed ref) is echo2, and echo is refused.
    acme = {"authorization": "Bearer acme-secret-key"}
    resp = await auth_client.post("/v1/ocr", json=doc, headers=acme)
    assert resp.headers["x-aigateway-provider"] == "echo2"
    err = assert_envelope(
        await auth_client.post("/v1/ocr", json={**doc, "provider": "echo"}, headers=acme), 404
    )
    assert "echo2" in err["message"]
    # x-api-key works too.
    resp = await auth_client.post("/v1/ocr", json=doc, headers={"x-api-key": "acme-secret-key"})
    assert resp.status_code == 200


async def test_tenant_allow_list_narrows_models(auth_client: AsyncTestClient[Any]) -> None:
    acme = await auth_client.get("/v1/models", headers={"authorization": "Bearer acme-secret-key"})
    assert [m["id"] for m in acme.json()["data"]] == ["echo2"]
    globex = await auth_client.get(
        "/v1/models", headers={"authorization": "Bearer globex-secret-key"}
    )
    assert [m["id"] for m in globex.json()["data"]] == ["echo", "echo2"]
    assert_envelope(await auth_client.get("/v1/models"), 401)
    assert_envelope(
        await auth_client.get(
            "/v1/models/echo", headers={"authorization": "Bearer acme-secret-key"}
        ),
        404,
    )


async def test_tenant_upload_limit_narrows_route(auth_client: AsyncTestClient[Any]) -> None:
    acme = {"authorization": "Bearer acme-secret-key"}
    doc = PNG + b"\0" * 400
    resp = await auth_client.post(
        "/v1/ocr", files={"image": ("a.png", doc, "image/png")}, headers=acme
    )
    err = assert_envelope(resp, 413)
    assert "512" in err["message"]
    globex = {"authorization": "Bearer globex-secret-key"}
    resp = await auth_client.post(
        "/v1/ocr", files={"image": ("a.png", doc, "image/png")}, headers=globex
    )
    assert resp.status_code == 200


async def test_two_apps_in_one_process_keep_their_configs() -> None:
    one = echo_app(echo_settings())
    two = echo_app(
        echo_settings().__class__(
            **{
                **{f: getattr(echo_settings(), f) for f in echo_settings().__struct_fields__},
                "routes": [echo_settings().routes[1]],
            }
        )
    )
    doc = {"document_base64": base64.b64encode(PNG).decode()}
    async with AsyncTestClient(one) as c1, AsyncTestClient(two) as c2:
        assert (await c1.post("/v1/ocr", json=doc)).status_code == 200
        assert_envelope(await c2.post("/v1/ocr", json=doc), 404)
        assert (await c2.post("/scan", json=doc)).status_code == 200
    assert one.state.runtime is not two.state.runtime


async def test_mounted_inside_a_parent_app() -> None:
    gw_app = echo_app(echo_settings())

    @asgi("/ai", is_mount=True, copy_scope=True)
    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        await gw_app(scope, receive, send)

    parent = Litestar(route_handlers=[mounted])
    doc = {"document_base64": base64.b64encode(PNG).decode()}
    async with AsyncTestClient(parent) as c:
        resp = await c.post("/ai/v1/ocr", json=doc)
        assert resp.status_code == 200, resp.text
        assert resp.headers["x-request-id"]
        models = await c.get("/ai/v1/models")
        assert models.status_code == 200
    await gw_app.state.runtime.aclose()


async def test_mounted_inside_starlette() -> None:
    starlette = pytest.importorskip("starlette.applications")
    from starlette.routing import Mount

    gw_app = echo_app(echo_settings())
    parent = starlette.Starlette(routes=[Mount("/ai", app=gw_app)])
    transport = httpx.ASGITransport(app=parent)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        resp = await c.post("/ai/v1/ocr", json={"document_base64": base64.b64encode(PNG).decode()})
        assert resp.status_code == 200, resp.text
    await gw_app.state.runtime.aclose()


async def test_request_id_is_reused_when_well_formed(client: AsyncTestClient[Any]) -> None:
    resp = await client.get("/v1/models", headers={"x-request-id": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    resp = await client.get("/v1/models", headers={"x-request-id": "bad id\twith spaces"})
    assert resp.headers["x-request-id"] != "bad id\twith spaces"


async def test_corrupt_base64_found_late_is_still_a_400(client: AsyncTestClient[Any]) -> None:
    text = base64.b64encode(PNG + bytes(60_000)).decode()  # long enough to stay undecoded
    broken = text[:40_000] + "!" + text[40_001:]
    resp = await client.post("/v1/ocr", json={"document_base64": broken})
    assert_envelope(resp, 400, "document_base64")
    ok = await client.post("/v1/ocr", json={"document_base64": text})
    assert summary(ok)["size"] == len(PNG) + 60_000
