"""The alphaedge adapter against a loopback fake of AlphaEdge's multipart OCR API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from aigateway.blob import Blob
from aigateway.config import Settings, parse_config
from aigateway.errors import (
    BadRequestError,
    ConfigError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    UnprocessableDocumentError,
    UpstreamError,
)
from aigateway.ocr.protocol import Document, OcrOptions
from aigateway.ocr.providers.alphaedge import AlphaEdgeOcrProvider
from aigateway.ocr.providers.base import OcrJob
from aigateway.ocr.registry import OcrRegistry
from tests.support.docgen import encrypted_pdf, text_pdf, text_png
from tests.support.upstreams.alphaedge import FakeAlphaEdge
from tests.support.upstreams.server import Reply, running

KEY = "ae-test-key"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAlphaEdge]:
    yield from running(lambda: FakeAlphaEdge(KEY))


def _settings(
    base_url: str, *, options: str = "{}", api_key: str = KEY, model: str = ""
) -> Settings:
    model_line = f'model = "{model}"' if model else ""
    return parse_config(
        f"""
[limits]
max_pages = 5

[[ocr_models]]
id = "ae"
provider = "alphaedge"
base_url = "{base_url}"
api_key = "{api_key}"
timeout = 5
options = {options}
{model_line}
"""
    )


@pytest.fixture
async def registry(fake: FakeAlphaEdge) -> AsyncIterator[OcrRegistry]:
    fake.reset()
    reg = OcrRegistry(_settings(fake.url, options="{ concurrency = 2 }"))
    assert isinstance(reg.providers["ae"], AlphaEdgeOcrProvider)
    yield reg
    await reg.aclose()


def _job(data: bytes, media: str = "application/pdf", **options: object) -> OcrJob:
    return OcrJob(
        Document(Blob(data), media, "in.pdf" if media == "application/pdf" else "in.png"),
        None,
        None,
        OcrOptions(**options),  # type: ignore[arg-type]
    )


PAGES = ["alpha page", "bravo page", "charlie page", "delta page"]


async def test_whole_pdf_in_one_call_with_real_page_count(
    registry: OcrRegistry, fake: FakeAlphaEdge
) -> None:
    pdf = text_pdf(PAGES)
    result = await registry.providers["ae"].process(_job(pdf))
    (req,) = fake.requests
    assert req.path == "/models/alpha-digit-max/ocr"
    assert req.headers["x-api-key"] == KEY
    form = req.form()
    assert set(form) == {"image"}
    assert form["image"].data == pdf
    assert form["image"].filename == "in.pdf"
    assert form["image"].content_type == "application/pdf"
    assert result.pages_processed == 4
    assert len(result.pages) == 1
    assert "alpha page" in result.pages[0].markdown
    assert "delta page" in result.pages[0].markdown
    assert result.model == "alpha-digit-max"


async def test_selected_pages_split_and_keep_their_index(
    registry: OcrRegistry, fake: FakeAlphaEdge
) -> None:
    result = await registry.providers["ae"].process(_job(text_pdf(PAGES), pages=(3, 1)))
    assert [(p.index, p.markdown) for p in result.pages] == [(3, "delta page"), (1, "bravo page")]
    assert result.pages_processed == 2
    assert len(fake.requests) == 2
    for req in fake.requests:
        part = req.form()["image"]
        assert part.data.startswith(b"%PDF")
        assert part.filename in {"page-4.pdf", "page-2.pdf"}


async def test_split_pages_option_and_encrypted_pdf(fake: FakeAlphaEdge) -> None:
    fake.reset()
    reg = OcrRegistry(_settings(fake.url, options="{ split_pages = true }"))
    try:
        result = await reg.providers["ae"].process(
            _job(encrypted_pdf("secret page", "pw"), pdf_password="pw")
        )
        # The split piece is decrypted locally: no password travels with it.
        assert set(fake.requests[0].form()) == {"image"}
        assert [(p.index, p.markdown) for p in result.pages] == [(0, "secret page")]
    finally:
        await reg.aclose()


async def test_password_forwarded_when_not_splitting(
    registry: OcrRegistry, fake: FakeAlphaEdge
) -> None:
    result = await registry.providers["ae"].process(
        _job(encrypted_pdf("locked text", "s3cret"), pdf_password="s3cret")
    )
    assert fake.requests[0].form()["pdf_password"].data == b"s3cret"
    assert result.pages[0].markdown == "locked text"
    assert result.pages_processed == 1


async def test_wrong_password_is_a_422_before_any_call(
    registry: OcrRegistry, fake: FakeAlphaEdge
) -> None:
    with pytest.raises(UnprocessableDocumentError, match="pdf_password is wrong"):
        await registry.providers["ae"].process(
            _job(encrypted_pdf("x", "right"), pdf_password="wrong")
        )
    assert fake.requests == []


async def test_image_and_page_limits(registry: OcrRegistry, fake: FakeAlphaEdge) -> None:
    result = await registry.providers["ae"].process(_job(text_png("hi"), "image/png"))
    assert result.pages[0].markdown.startswith("image 1700x")
    assert result.pages_processed == 1
    with pytest.raises(BadRequestError, match="out of range"):
        await registry.providers["ae"].process(_job(text_png("hi"), "image/png", pages=(1,)))
    with pytest.raises(PayloadTooLargeError, match="limit is 5 pages"):
        await registry.providers["ae"].process(_job(text_pdf(["p"] * 6)))
    assert len(fake.requests) == 1


async def test_one_failing_page_fails_the_request_with_its_own_error(
    registry: OcrRegistry, fake: FakeAlphaEdge
) -> None:
    fake.script.append(Reply(429, {"detail": "Too many requests"}, {"Retry-After": "3"}))
    with pytest.raises(RateLimitError) as info:
        await registry.providers["ae"].process(_job(text_pdf(PAGES), pages=(0, 1, 2)))
    assert info.value.retry_after == 3


@pytest.mark.parametrize(
    ("settings_kw", "error", "text"),
    [
        pytest.param({"api_key": "wrong-key"}, UpstreamError, "credentials", id="401"),
        pytest.param(
            {"model": "alpha-nope"}, NotFoundError, "Model 'alpha-nope' not found", id="404-model"
        ),
    ],
)
async def test_upstream_errors(
    fake: FakeAlphaEdge, settings_kw: dict[str, str], error: type[Exception], text: str
) -> None:
    reg = OcrRegistry(_settings(fake.url, **settings_kw))
    try:
        with pytest.raises(error, match=text) as info:
            await reg.providers["ae"].process(_job(text_pdf(["x"])))
        assert "wrong-key" not in str(info.value)
    finally:
        await reg.aclose()


async def test_malformed_answer_is_a_502(registry: OcrRegistry, fake: FakeAlphaEdge) -> None:
    fake.script.append(Reply(200, {"result": "no text field"}))
    with pytest.raises(UpstreamError, match="unexpected response"):
        await registry.providers["ae"].process(_job(text_png("x"), "image/png"))


@pytest.mark.parametrize(
    ("options", "api_key", "match"),
    [
        pytest.param("{ concurrency = 0 }", KEY, "options.concurrency", id="concurrency"),
        pytest.param("{ split_pages = 1 }", KEY, "options.split_pages", id="split"),
        pytest.param("{ colour = true }", KEY, "unknown colour", id="unknown"),
        pytest.param("{}", "", "api_key", id="no-key"),
    ],
)
def test_config_is_validated(options: str, api_key: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        OcrRegistry(_settings("http://127.0.0.1:1", options=options, api_key=api_key))
