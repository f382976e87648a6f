"""The mistral adapter against a loopback fake of Mistral's OCR API."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from aigateway.blob import Base64Blob, Blob
from aigateway.config import Settings, parse_config
from aigateway.errors import (
    BadRequestError,
    ConfigError,
    RateLimitError,
    UnprocessableDocumentError,
    UpstreamError,
    UpstreamTimeoutError,
)
from aigateway.ocr.normalize.encoding import DOCX, base64_blob
from aigateway.ocr.protocol import Document, OcrOptions
from aigateway.ocr.providers.base import OcrJob
from aigateway.ocr.providers.mistral import MistralOcrProvider
from aigateway.ocr.registry import OcrRegistry
from tests.support.docgen import text_pdf, text_png
from tests.support.officegen import report_docx
from tests.support.upstreams.mistral import FakeMistral
from tests.support.upstreams.server import Reply, running

KEY = "sk-mistral-test"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMistral]:
    yield from running(lambda: FakeMistral(KEY))


@pytest.fixture
async def provider(fake: FakeMistral) -> AsyncIterator[MistralOcrProvider]:
    fake.reset()
    reg = OcrRegistry(_settings(fake.url, timeout=2))
    try:
        p = reg.providers["m"]
        assert isinstance(p, MistralOcrProvider)
        yield p
    finally:
        await reg.aclose()


def _settings(
    base_url: str, *, api_key: str = KEY, timeout: float = 5, extra: str = ""
) -> Settings:
    return parse_config(
        f"""
[[ocr_models]]
id = "m"
provider = "mistral"
base_url = "{base_url}"
api_key = "{api_key}"
timeout = {timeout}
{extra}
"""
    )


def _job(data: bytes, media: str, filename: str | None = None, **options: object) -> OcrJob:
    default = "doc.pdf" if media == "application/pdf" else None
    return OcrJob(
        document=Document(Blob(data), media, filename or default),
        url=None,
        model=None,
        options=OcrOptions(**options),  # type: ignore[arg-type]
    )


async def test_pdf_sent_as_data_uri_and_response_mapped(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    pdf = text_pdf(["one", "two", "three"])
    result = await provider.process(
        _job(pdf, "application/pdf", pages=(0, 2), include_image_base64=True, extract_header=True)
    )
    (req,) = fake.requests
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["content-type"] == "application/json"
    assert int(req.headers["content-length"]) == len(req.body)
    body = req.json()
    assert body["model"] == "mistral-ocr-latest"
    assert body["document"]["type"] == "document_url"
    assert body["document"]["document_name"] == "doc.pdf"
    prefix, b64 = body["document"]["document_url"].split(",", 1)
    assert prefix == "data:application/pdf;base64"
    assert base64.b64decode(b64) == pdf
    assert body["pages"] == [0, 2]
    assert body["include_image_base64"] is True
    assert body["extract_header"] is True
    # Only what was set is forwarded: the real API rejects unknown and null-for-absent fields.
    assert set(body) == {"model", "document", "pages", "include_image_base64", "extract_header"}

    assert result.model == "mistral-ocr-2512"
    assert [p.index for p in result.pages] == [0, 2]
    page = result.pages[1]
    assert page.markdown.startswith("# Page 3")
    assert page.dimensions is not None
    assert page.dimensions.dpi == 200
    assert page.images[0].top_left_x == 151
    assert page.images[0].image_base64.startswith("data:image/jpeg;base64,")  # type: ignore[union-attr]
    assert page.header == "Running header"
    assert page.hyperlinks == ["https://example.com/"]
    assert result.pages_processed == 2
    assert result.doc_size_bytes == len(pdf)


def _sent(fake: FakeMistral, kind: str) -> tuple[dict[str, Any], str, bytes]:
    """The one request's document object, its data URI's prefix and its decoded bytes."""
    (req,) = fake.requests
    document: dict[str, Any] = req.json()["document"]
    assert document["type"] == kind
    prefix, b64 = document[kind].split(",", 1)
    return document, prefix, base64.b64decode(b64)


async def test_word_file_sent_as_a_document_url_data_uri(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    docx = report_docx(sections=1, photos=1)
    await provider.process(_job(docx, DOCX, "report.docx"))
    document, prefix, data = _sent(fake, "document_url")
    assert document["document_name"] == "report.docx"
    assert (prefix, data) == (f"data:{DOCX};base64", docx)


async def test_heic_photo_sent_as_an_upright_jpeg(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone held sideways: shown turned a quarter
    buf = io.BytesIO()
    Image.new("RGB", (80, 50), "white").save(buf, format="HEIF", exif=exif.tobytes())
    await provider.process(_job(buf.getvalue(), "image/heic", "IMG_0001.HEIC"))
    _, prefix, data = _sent(fake, "image_url")
    assert prefix == "data:image/jpeg;base64"
    sent = Image.open(io.BytesIO(data))
    assert (sent.format, sent.size) == ("JPEG", (50, 80))


async def test_large_document_is_streamed_with_exact_length(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    # Bigger than one base64 chunk and than the 1 MiB spool threshold: spooled blob, many chunks.
    png = text_png("streamed") + b"\0" * 2_500_001
    blob = Blob.from_bytes(png)
    path_blob = Blob(path=blob.path(), owned=False)
    job = OcrJob(Document(path_blob, "image/png"), None, None, OcrOptions())
    await provider.process(job)
    (req,) = fake.requests
    assert req.headers.get("transfer-encoding") is None
    assert int(req.headers["content-length"]) == len(req.body)
    body = req.json()
    assert body["document"] == {
        "type": "image_url",
        "image_url": "data:image/png;base64," + base64.b64encode(png).decode(),
    }
    blob.close()


@pytest.mark.parametrize("extra", [0, 1, 2, 2_000_000], ids=["pad0", "pad2", "pad1", "chunked"])
async def test_callers_base64_is_forwarded_undecoded(
    provider: MistralOcrProvider, fake: FakeMistral, extra: int
) -> None:
    """A canonical base64 document goes upstream as the caller's own text: never decoded."""
    data = text_pdf(["forwarded"]) + b"%" * (100_000 + extra)
    text = base64.b64encode(data).decode()
    blob = base64_blob(text, "document_base64")
    assert isinstance(blob, Base64Blob)
    assert blob.size == len(data)
    assert blob.head(5) == b"%PDF-"
    job = OcrJob(Document(blob, "application/pdf"), None, None, OcrOptions())
    await provider.process(job)
    (req,) = fake.requests
    assert int(req.headers["content-length"]) == len(req.body)
    assert req.json()["document"]["document_url"] == "data:application/pdf;base64," + text
    assert blob.base64_text() is text  # still undecoded after the call


async def test_url_passed_through(provider: MistralOcrProvider, fake: FakeMistral) -> None:
    job = OcrJob(None, "https://example.com/a.pdf?sig=1", "mistral-ocr-2505", OcrOptions())
    result = await provider.process(job)
    body = fake.requests[0].json()
    assert body == {
        "model": "mistral-ocr-2505",
        "document": {"type": "document_url", "document_url": "https://example.com/a.pdf?sig=1"},
    }
    assert len(result.pages) == fake.remote_pages
    image_job = OcrJob(None, "https://example.com/scan.JPG", None, OcrOptions())
    await provider.process(image_job)
    assert fake.requests[1].json()["document"]["type"] == "image_url"


async def test_annotation_formats_forwarded_and_annotation_is_a_string(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "doc", "schema": {"type": "object"}}}
    result = await provider.process(
        _job(
            text_png("x"),
            "image/png",
            document_annotation_format=fmt,
            document_annotation_prompt="Title?",
            table_format="html",
        )
    )
    body = fake.requests[0].json()
    assert body["document_annotation_format"] == fmt
    assert body["document_annotation_prompt"] == "Title?"
    assert body["table_format"] == "html"
    assert json.loads(result.document_annotation or "") == {"title": "Fake document", "pages": 1}


async def test_object_annotations_and_float_boxes_are_normalized(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    fake.script.append(
        Reply(
            200,
            {
                "model": "compatible-ocr",
                "pages": [
                    {
                        "index": 0,
                        "markdown": "x",
                        "dimensions": None,
                        "images": [
                            {
                                "id": "i",
                                "top_left_x": 1.6,
                                "top_left_y": 2,
                                "bottom_right_x": None,
                                "bottom_right_y": 4.0,
                                "image_annotation": {"kind": "chart"},
                            }
                        ],
                    }
                ],
                "usage_info": {"pages_processed": 1},
                "document_annotation": {"title": "T"},
            },
        )
    )
    result = await provider.process(_job(text_png("x"), "image/png"))
    assert json.loads(result.document_annotation or "") == {"title": "T"}
    img = result.pages[0].images[0]
    assert (img.top_left_x, img.top_left_y, img.bottom_right_x, img.bottom_right_y) == (
        2,
        2,
        None,
        4,
    )
    assert json.loads(img.image_annotation) == {"kind": "chart"}  # type: ignore[arg-type]
    assert result.pages[0].dimensions is None


@pytest.mark.parametrize(
    ("reply", "error", "status", "text"),
    [
        pytest.param(
            Reply(
                422,
                {
                    "detail": [
                        {
                            "type": "extra_forbidden",
                            "loc": ["body", "x"],
                            "msg": "Extra inputs are not permitted",
                            "input": 1,
                        }
                    ]
                },
            ),
            UnprocessableDocumentError,
            422,
            "x: Extra inputs are not permitted",
            id="422-detail",
        ),
        pytest.param(
            Reply(
                400,
                {
                    "object": "error",
                    "message": "Invalid model: nope",
                    "type": "invalid_model",
                    "param": None,
                    "code": "1500",
                },
            ),
            BadRequestError,
            400,
            "Invalid model: nope",
            id="400-flat",
        ),
        pytest.param(
            Reply(401, {"message": "Unauthorized", "request_id": "r"}),
            UpstreamError,
            502,
            "rejected the gateway's credentials",
            id="401",
        ),
        pytest.param(
            Reply(429, {"message": "Requests rate limit exceeded"}, {"retry-after": "7"}),
            RateLimitError,
            429,
            "rate limiting",
            id="429",
        ),
        pytest.param(
            Reply(503, "upstream connect error"),
            UpstreamError,
            502,
            "HTTP 503",
            id="503",
        ),
        pytest.param(
            Reply(200, b"{not json", {"content-type": "application/json"}),
            UpstreamError,
            502,
            "not valid JSON",
            id="malformed",
        ),
        pytest.param(
            Reply(200, {"pages": [{"index": 0}], "model": "m"}),
            UpstreamError,
            502,
            "unexpected response",
            id="bad-shape",
        ),
    ],
)
async def test_upstream_errors_are_mapped(
    provider: MistralOcrProvider,
    fake: FakeMistral,
    reply: Reply,
    error: type[Exception],
    status: int,
    text: str,
) -> None:
    fake.script.append(reply)
    with pytest.raises(error) as info:
        await provider.process(_job(text_png("x"), "image/png"))
    exc = info.value
    assert exc.status_code == status  # type: ignore[attr-defined]
    assert text in exc.message  # type: ignore[attr-defined]
    assert KEY not in exc.message  # type: ignore[attr-defined]
    if isinstance(exc, RateLimitError):
        assert exc.retry_after == 7
        assert exc.headers["Retry-After"] == "7"


async def test_real_validation_of_unknown_model(provider: MistralOcrProvider) -> None:
    job = OcrJob(Document(Blob(text_png("x")), "image/png"), None, "no-such-model", OcrOptions())
    with pytest.raises(BadRequestError, match="Invalid model: no-such-model"):
        await provider.process(job)


async def test_wrong_key_is_a_502_without_the_key(fake: FakeMistral) -> None:
    reg = OcrRegistry(_settings(fake.url, api_key="sk-wrong-secret-key"))
    try:
        with pytest.raises(UpstreamError) as info:
            await reg.providers["m"].process(_job(text_png("x"), "image/png"))
        assert info.value.status_code == 502
        assert "sk-wrong-secret-key" not in info.value.message
    finally:
        await reg.aclose()


async def test_secret_echoed_by_upstream_is_scrubbed(
    provider: MistralOcrProvider, fake: FakeMistral
) -> None:
    fake.script.append(Reply(400, {"message": f"bad key {KEY} and Bearer abc.def used"}))
    with pytest.raises(BadRequestError) as info:
        await provider.process(_job(text_png("x"), "image/png"))
    assert KEY not in info.value.message
    assert "abc.def" not in info.value.message


async def test_slow_upstream_is_a_504(provider: MistralOcrProvider, fake: FakeMistral) -> None:
    fake.script.append(Reply(200, {"pages": []}, delay=3))
    with pytest.raises(UpstreamTimeoutError):
        await provider.process(_job(text_png("x"), "image/png"))


async def test_connection_refused_is_a_502() -> None:
    reg = OcrRegistry(_settings("http://127.0.0.1:9"))
    try:
        with pytest.raises(UpstreamError, match="could not be reached"):
            await reg.providers["m"].process(_job(text_png("x"), "image/png"))
    finally:
        await reg.aclose()


@pytest.mark.parametrize(
    ("base_url", "extra", "match"),
    [
        pytest.param("ftp://x", "", "base_url", id="scheme"),
        pytest.param("http://x/v1", "", "/v1", id="v1-suffix"),
        pytest.param("http://x", "options = { nope = 1 }", "takes no options", id="options"),
    ],
)
def test_config_is_validated(base_url: str, extra: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        OcrRegistry(_settings(base_url, extra=extra))
