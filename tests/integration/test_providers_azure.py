"""The azure_docintel adapter against a loopback fake of Document Intelligence v4."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from aigateway.blob import Blob
from aigateway.config import Settings, parse_config
from aigateway.errors import (
    BadRequestError,
    ConfigError,
    NotFoundError,
    RateLimitError,
    UnprocessableDocumentError,
    UpstreamError,
    UpstreamTimeoutError,
)
from aigateway.ocr.normalize.encoding import DOCX
from aigateway.ocr.protocol import Document, OcrOptions
from aigateway.ocr.providers.azure_docintel import page_ranges
from aigateway.ocr.providers.base import OcrJob
from aigateway.ocr.registry import OcrRegistry
from tests.support.docgen import text_pdf, text_png
from tests.support.officegen import report_docx
from tests.support.upstreams.azure import FakeAzure
from tests.support.upstreams.server import Reply, running

KEY = "az-test-key"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAzure]:
    yield from running(lambda: FakeAzure(KEY))


def _settings(
    base_url: str,
    *,
    model: str = "",
    api_key: str = KEY,
    timeout: float = 5,
    options: str = "{ poll_interval = 0.01 }",
) -> Settings:
    model_line = f'model = "{model}"' if model else ""
    return parse_config(
        f"""
[[ocr_models]]
id = "az"
provider = "azure_docintel"
base_url = "{base_url}"
api_key = "{api_key}"
timeout = {timeout}
options = {options}
{model_line}
"""
    )


@pytest.fixture
async def registry(fake: FakeAzure) -> AsyncIterator[OcrRegistry]:
    fake.reset()
    fake.polls_before_done = 1
    fake.retry_after = "0"
    reg = OcrRegistry(_settings(fake.url))
    yield reg
    await reg.aclose()


def _job(data: bytes, media: str = "application/pdf", **options: object) -> OcrJob:
    return OcrJob(Document(Blob(data), media), None, None, OcrOptions(**options))  # type: ignore[arg-type]


async def test_layout_markdown_split_per_page(registry: OcrRegistry, fake: FakeAzure) -> None:
    pdf = text_pdf(["first page", "second page", "third page"])
    result = await registry.providers["az"].process(_job(pdf))
    post, poll1, poll2 = fake.requests
    assert post.method == "POST"
    assert post.path == "/documentintelligence/documentModels/prebuilt-layout:analyze"
    assert post.query == {"api-version": "2024-11-30", "outputContentFormat": "markdown"}
    assert post.headers["ocp-apim-subscription-key"] == KEY
    assert int(post.headers["content-length"]) == len(post.body)
    assert base64.b64decode(post.json()["base64Source"]) == pdf
    assert poll1.method == poll2.method == "GET"
    assert poll2.headers["ocp-apim-subscription-key"] == KEY
    assert [(p.index, p.markdown) for p in result.pages] == [
        (0, "# Page 1\n\nfirst page"),
        (1, "# Page 2\n\nsecond page"),
        (2, "# Page 3\n\nthird page"),
    ]
    dims = result.pages[0].dimensions
    assert dims is not None
    # A4 = 8.27 x 11.69 in at 200 dpi
    assert (dims.dpi, dims.width, dims.height) == (200, 1653, 2339)
    assert result.model == "prebuilt-layout"
    assert result.pages_processed == 3
    assert result.doc_size_bytes == len(pdf)


async def test_pages_become_one_based_ranges(registry: OcrRegistry, fake: FakeAzure) -> None:
    pdf = text_pdf(["a", "b", "c", "d", "e"])
    result = await registry.providers["az"].process(_job(pdf, pages=(4, 0, 1, 2)))
    assert fake.requests[0].query["pages"] == "1-3,5"
    assert [p.index for p in result.pages] == [4, 0, 1, 2]
    assert result.pages[0].markdown == "# Page 5\n\ne"


async def test_office_files_go_whole_and_pages_are_picked_from_the_answer(
    registry: OcrRegistry, fake: FakeAzure
) -> None:
    docx = report_docx(sections=1, photos=0)
    result = await registry.providers["az"].process(_job(docx, DOCX, pages=(0,)))
    assert "pages" not in fake.requests[0].query  # Azure selects pages of PDFs and TIFFs only
    assert base64.b64decode(fake.requests[0].json()["base64Source"]) == docx
    (page,) = result.pages
    assert page.index == 0
    assert "Quarterly report" in page.markdown
    assert page.dimensions is None


async def test_read_model_and_image_in_pixels(fake: FakeAzure) -> None:
    fake.reset()
    reg = OcrRegistry(_settings(fake.url, model="prebuilt-read"))
    try:
        result = await reg.providers["az"].process(_job(text_png("x"), "image/png"))
    finally:
        await reg.aclose()
    assert "outputContentFormat" not in fake.requests[0].query
    page = result.pages[0]
    assert page.markdown.startswith("image 1700x")
    assert page.dimensions is not None
    assert page.dimensions.width == 1700


async def test_retry_after_is_honoured(registry: OcrRegistry, fake: FakeAzure) -> None:
    fake.retry_after = "1"
    started = time.monotonic()
    await registry.providers["az"].process(_job(text_pdf(["x"])))
    # 202 says wait 1 s, the "running" poll says 1 s again: two waits before the result.
    assert time.monotonic() - started >= 2.0
    assert len(fake.requests) == 3


async def test_polling_bounded_by_entity_timeout(fake: FakeAzure) -> None:
    fake.reset()
    fake.polls_before_done = 10**6
    fake.retry_after = "0"
    reg = OcrRegistry(_settings(fake.url, timeout=0.5, options="{ poll_interval = 0.05 }"))
    try:
        with pytest.raises(UpstreamTimeoutError, match=r"within 0.5 s"):
            await reg.providers["az"].process(_job(text_pdf(["x"])))
    finally:
        await reg.aclose()
        fake.polls_before_done = 1
    assert len(fake.requests) > 3


async def test_failed_operation_is_a_422(registry: OcrRegistry, fake: FakeAzure) -> None:
    with pytest.raises(UnprocessableDocumentError, match="Invalid request"):
        await registry.providers["az"].process(_job(b"GIF89a-not-really", "image/gif"))


async def test_foreign_operation_location_not_followed(
    registry: OcrRegistry, fake: FakeAzure
) -> None:
    fake.script.append(
        Reply(202, b"", {"operation-location": "http://127.0.0.2:1/steal?api-version=x"})
    )
    with pytest.raises(UpstreamError, match="another host"):
        await registry.providers["az"].process(_job(text_pdf(["x"])))
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("kw", "script", "error", "text"),
    [
        pytest.param({"api_key": "wrong"}, None, UpstreamError, "credentials", id="401"),
        pytest.param({"model": "prebuilt-nope"}, None, NotFoundError, "was not found", id="404"),
        pytest.param(
            {},
            Reply(
                400,
                {
                    "error": {
                        "code": "InvalidRequest",
                        "message": "Bad pages",
                        "innererror": {"code": "InvalidParameter", "message": "pages is invalid"},
                    }
                },
            ),
            BadRequestError,
            "Bad pages (pages is invalid)",
            id="400",
        ),
        pytest.param(
            {},
            Reply(429, {"error": {"code": "429", "message": "Rate limit"}}, {"Retry-After": "2"}),
            RateLimitError,
            "Rate limit",
            id="429",
        ),
        pytest.param(
            {}, Reply(202, b""), UpstreamError, "without an Operation-Location", id="no-location"
        ),
    ],
)
async def test_errors(
    fake: FakeAzure, kw: dict[str, str], script: Reply | None, error: type[Exception], text: str
) -> None:
    fake.reset()
    if script is not None:
        fake.script.append(script)
    reg = OcrRegistry(_settings(fake.url, **kw))
    try:
        with pytest.raises(error) as info:
            await reg.providers["az"].process(_job(text_pdf(["x"])))
    finally:
        await reg.aclose()
    assert text in str(info.value)
    assert KEY not in str(info.value)


async def test_malformed_poll_answer(registry: OcrRegistry, fake: FakeAzure) -> None:
    location = f"{fake.url}/documentintelligence/documentModels/prebuilt-layout/analyzeResults/x"
    fake.script.extend(
        [Reply(202, b"", {"operation-location": location}), Reply(200, b"<html>oops</html>")]
    )
    with pytest.raises(UpstreamError, match="not valid JSON"):
        await registry.providers["az"].process(_job(text_pdf(["x"])))


@pytest.mark.parametrize(
    ("pages", "expected"),
    [((0,), "1"), ((0, 1, 2, 4), "1-3,5"), ((5, 3, 4, 9), "4-6,10"), ((1, 1), "2")],
)
def test_page_ranges(pages: tuple[int, ...], expected: str) -> None:
    assert page_ranges(pages) == expected


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="api_key"):
        OcrRegistry(_settings("http://127.0.0.1:1", api_key=""))
    with pytest.raises(ConfigError, match=r"options\.dpi"):
        OcrRegistry(_settings("http://127.0.0.1:1", options="{ dpi = 0 }"))
