"""Upstream providers behind a real gateway process: the official mistralai SDK, fallbacks and
the SSRF guard seen from the outside.

The gateway runs as its own ``aigateway serve`` process on 127.0.0.1 (``tests/support/server.py``); the
fake upstreams run in this process on their own loopback ports.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral

from aigateway.ocr.normalize.encoding import DOCX
from tests.support.docgen import noise, text_pdf
from tests.support.officegen import report_docx
from tests.support.server import GatewayProcess, gateway_server
from tests.support.upstreams.alphaedge import FakeAlphaEdge
from tests.support.upstreams.mistral import FakeMistral
from tests.support.upstreams.server import Reply, TcpProbe, running

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def primary() -> Iterator[FakeMistral]:
    yield from running(lambda: FakeMistral("sk-primary"))


@pytest.fixture(scope="module")
def second() -> Iterator[FakeMistral]:
    yield from running(lambda: FakeMistral("sk-second"))


@pytest.fixture(scope="module")
def alpha() -> Iterator[FakeAlphaEdge]:
    yield from running(lambda: FakeAlphaEdge("ae-key"))


@pytest.fixture
def gateway(
    tmp_path: Path, primary: FakeMistral, second: FakeMistral, alpha: FakeAlphaEdge
) -> Iterator[GatewayProcess]:
    for fake in (primary, second, alpha):
        fake.reset()
    config = f"""
[[ocr_models]]
id = "primary"
provider = "mistral"
base_url = "{primary.url}"
api_key = "${{PRIMARY_KEY}}"
max_retries = 0
fallbacks = ["second"]
timeout = 10

[[ocr_models]]
id = "second"
provider = "mistral"
base_url = "{second.url}"
api_key = "sk-second"
max_retries = 0
timeout = 10

[[ocr_models]]
id = "alpha"
provider = "alphaedge"
base_url = "{alpha.url}"
api_key = "ae-key"
timeout = 10

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["primary", "second", "alpha"]
"""
    with gateway_server(config, tmp_path, env={"PRIMARY_KEY": "sk-primary"}) as gw:
        yield gw


def test_mistral_sdk_through_the_gateway(gateway: GatewayProcess, primary: FakeMistral) -> None:
    pdf = text_pdf(["one", "two", "three"])
    client = Mistral(api_key="caller-key", server_url=gateway.url)
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "doc", "schema": {"type": "object", "properties": {}}},
    }
    resp = client.ocr.process(
        model="mistral-ocr-latest",
        document={
            "type": "document_url",
            "document_url": "data:application/pdf;base64," + base64.b64encode(pdf).decode(),
        },
        pages=[0, 2],
        include_image_base64=True,
        document_annotation_format=fmt,  # type: ignore[arg-type]
    )
    assert [p.index for p in resp.pages] == [0, 2]
    assert resp.pages[1].markdown.startswith("# Page 3")
    image = resp.pages[0].images[0]
    assert image.image_base64 is not None
    assert image.image_base64.startswith("data:image/jpeg;base64,")
    assert image.top_left_x == 151
    assert resp.pages[0].dimensions is not None
    assert resp.pages[0].dimensions.dpi == 200
    assert resp.usage_info.pages_processed == 2
    assert isinstance(resp.document_annotation, str)
    assert json.loads(resp.document_annotation) == {"title": "Fake document", "pages": 2}
    (sent,) = primary.requests
    body = sent.json()
    # The SDK's include_blocks (unknown to the real API) was not forwarded; options were.
    assert "include_blocks" not in body
    assert body["pages"] == [0, 2]
    assert body["include_image_base64"] is True
    assert body["document_annotation_format"] == fmt
    assert sent.headers["authorization"] == "Bearer sk-primary"
    assert base64.b64decode(body["document"]["document_url"].split(",", 1)[1]) == pdf


def test_office_files_and_iphone_photos_reach_mistral_as_it_reads_them(
    gateway: GatewayProcess, primary: FakeMistral
) -> None:
    import io

    import pillow_heif
    from PIL import Image

    docx = report_docx(sections=2, photos=2)
    assert len(docx) > 100_000
    client = Mistral(api_key="k", server_url=gateway.url)
    resp = client.ocr.process(
        model="mistral-ocr-latest",
        document={
            "type": "document_url",
            "document_url": f"data:{DOCX};base64," + base64.b64encode(docx).decode(),
        },
    )
    assert len(resp.pages) == 1
    sent = primary.requests[-1].json()["document"]["document_url"]
    assert sent.split(",", 1)[0] == f"data:{DOCX};base64"
    assert base64.b64decode(sent.split(",", 1)[1]) == docx

    # An iPhone's HEIC photo, held sideways: Mistral gets an upright JPEG of it.
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    photo = noise((1200, 900), 40, seed=3).convert("RGB")
    photo.save(buf, format="HEIF", quality=90, exif=exif.tobytes())
    assert len(buf.getvalue()) > 100_000
    resp = client.ocr.process(
        model="mistral-ocr-latest",
        document={
            "type": "image_url",
            "image_url": "data:image/heic;base64," + base64.b64encode(buf.getvalue()).decode(),
        },
    )
    assert len(resp.pages) == 1
    sent = primary.requests[-1].json()["document"]["image_url"]
    head, data = sent.split(",", 1)
    assert head == "data:image/jpeg;base64"
    img = Image.open(io.BytesIO(base64.b64decode(data)))
    assert (img.format, img.size) == ("JPEG", (900, 1200))


def test_remote_url_passed_through_not_fetched(
    gateway: GatewayProcess, primary: FakeMistral
) -> None:
    client = Mistral(api_key="k", server_url=gateway.url)
    url = "https://docs.example.invalid/report.pdf"
    resp = client.ocr.process(
        model="mistral-ocr-latest",
        document={"type": "document_url", "document_url": url},
        pages="0-1",
    )
    assert len(resp.pages) == 2
    assert primary.requests[0].json()["document"]["document_url"] == url


def test_fallback_to_second_entity_on_503(
    gateway: GatewayProcess, primary: FakeMistral, second: FakeMistral
) -> None:
    primary.script.append(Reply(503, {"object": "error", "message": "Service unavailable"}))
    png_doc = base64.b64encode(text_pdf(["fallback"])).decode()
    resp = httpx.post(
        f"{gateway.url}/v1/ocr",
        json={
            "model": "primary",
            "document": {
                "type": "document_url",
                "document_url": f"data:application/pdf;base64,{png_doc}",
            },
        },
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-aigateway-provider"] == "second"
    assert resp.json()["pages"][0]["markdown"].startswith("# Page 1")
    assert len(primary.requests) == 1
    assert len(second.requests) == 1
    assert second.requests[0].headers["authorization"] == "Bearer sk-second"


def test_upstream_caller_fault_keeps_status_without_fallback(
    gateway: GatewayProcess, primary: FakeMistral, second: FakeMistral
) -> None:
    resp = httpx.post(
        f"{gateway.url}/v1/ocr",
        json={
            "provider": "primary",
            "model": "mistral-ocr-nope",
            "document_url": "https://docs.example.invalid/a.pdf",
        },
        timeout=30,
    )
    assert resp.status_code == 400, resp.text
    assert "Invalid model: mistral-ocr-nope" in resp.json()["error"]["message"]
    assert second.requests == []


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://169.254.169.254/latest/meta-data/iam/", id="metadata"),
        pytest.param("http://10.0.0.1/a.pdf", id="private"),
        pytest.param("http://[::1]:{port}/a.pdf", id="ipv6-loopback"),
        pytest.param("http://127.0.0.1:{port}/a.pdf", id="loopback"),
        pytest.param("http://localhost:{port}/a.pdf", id="localhost"),
    ],
)
def test_ssrf_refused_by_the_gateway(
    gateway: GatewayProcess, alpha: FakeAlphaEdge, url: str
) -> None:
    probe = TcpProbe()
    try:
        resp = httpx.post(
            f"{gateway.url}/v1/ocr",
            json={"provider": "alpha", "document_url": url.format(port=probe.port)},
            timeout=30,
        )
        assert probe.connections() == 0
    finally:
        probe.close()
    assert resp.status_code == 400, resp.text
    err: dict[str, Any] = resp.json()["error"]
    assert err["param"] == "document_url"
    assert "the gateway does not fetch private addresses" in err["message"]
    assert alpha.requests == []
