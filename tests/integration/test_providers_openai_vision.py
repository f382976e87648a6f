"""The openai_vision adapter against a loopback fake OpenAI-compatible vision model."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator

import pypdfium2 as pdfium
import pytest
from PIL import Image

from aigateway.blob import Blob
from aigateway.config import Settings, parse_config
from aigateway.errors import ConfigError, NotFoundError, UpstreamError, UpstreamTimeoutError
from aigateway.ocr.protocol import Document, OcrOptions
from aigateway.ocr.providers.base import OcrJob
from aigateway.ocr.providers.openai_vision import DEFAULT_PROMPT, strip_fences
from aigateway.ocr.registry import OcrRegistry
from tests.support.docgen import tiff_frames
from tests.support.upstreams.openai import FakeOpenAI
from tests.support.upstreams.server import Reply, running

KEY = "sk-openai-test"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    yield from running(lambda: FakeOpenAI(KEY))


def _settings(
    base_url: str,
    *,
    options: str = "{}",
    api_key: str = KEY,
    model: str = "qwen2.5-vl",
    timeout: float = 5,
) -> Settings:
    return parse_config(
        f"""
[[ocr_models]]
id = "vis"
provider = "openai_vision"
base_url = "{base_url}"
api_key = "{api_key}"
model = "{model}"
timeout = {timeout}
options = {options}
"""
    )


@pytest.fixture
async def registry(fake: FakeOpenAI) -> AsyncIterator[OcrRegistry]:
    fake.reset()
    reg = OcrRegistry(_settings(f"{fake.url}/v1", options="{ concurrency = 2, dpi = 72 }"))
    yield reg
    await reg.aclose()


def sized_pdf(sizes: list[tuple[int, int]]) -> bytes:
    """Blank pages of distinct sizes (points), so each page's rendering is recognisable."""
    pdf = pdfium.PdfDocument.new()
    for w, h in sizes:
        pdf.new_page(w, h).close()
    buf = io.BytesIO()
    pdf.save(buf)
    pdf.close()
    return buf.getvalue()


def _job(data: bytes, media: str, **options: object) -> OcrJob:
    return OcrJob(Document(Blob(data), media), None, None, OcrOptions(**options))  # type: ignore[arg-type]


SIZES = [(100, 200), (110, 210), (120, 220), (130, 230), (140, 240)]


async def test_pdf_pages_rendered_and_sent_in_parallel(
    registry: OcrRegistry, fake: FakeOpenAI
) -> None:
    fake.latency = 0.1
    result = await registry.providers["vis"].process(_job(sized_pdf(SIZES), "application/pdf"))
    assert [p.index for p in result.pages] == [0, 1, 2, 3, 4]
    for page, (w, h) in zip(result.pages, SIZES, strict=True):
        # dpi 72: one pixel per point; the fence is stripped.
        assert page.markdown == f"# PNG {w}x{h}\n\ndata:image/png;base64"
        assert page.dimensions is not None
        assert (page.dimensions.dpi, page.dimensions.width, page.dimensions.height) == (72, w, h)
    assert fake.max_inflight == 2
    assert result.pages_processed == 5
    assert result.model == "qwen2.5-vl-2024"
    body = fake.requests[0].json()
    assert body["model"] == "qwen2.5-vl"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 4096
    content = body["messages"][0]["content"]
    assert content[0]["type"] == "image_url"
    assert content[1] == {"type": "text", "text": DEFAULT_PROMPT}
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_selected_pages_keep_their_index(registry: OcrRegistry, fake: FakeOpenAI) -> None:
    result = await registry.providers["vis"].process(
        _job(sized_pdf(SIZES), "application/pdf", pages=(4, 1))
    )
    assert [(p.index, p.markdown.splitlines()[0]) for p in result.pages] == [
        (4, "# PNG 140x240"),
        (1, "# PNG 110x210"),
    ]
    assert len(fake.requests) == 2


async def test_images_sent_as_is_or_converted(registry: OcrRegistry, fake: FakeOpenAI) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (30, 40), "white").save(buf, format="JPEG", dpi=(300, 300))
    jpeg = buf.getvalue()
    result = await registry.providers["vis"].process(_job(jpeg, "image/jpeg"))
    assert result.pages[0].markdown.startswith("# JPEG 30x40")
    assert result.pages[0].dimensions is not None
    assert result.pages[0].dimensions.dpi == 300
    sent = fake.requests[0].json()["messages"][0]["content"][0]["image_url"]["url"]
    assert sent.startswith("data:image/jpeg;base64,")

    result = await registry.providers["vis"].process(
        _job(tiff_frames(["one", "two"]), "image/tiff")
    )
    assert [p.index for p in result.pages] == [0, 1]
    assert all(p.markdown.startswith("# PNG ") for p in result.pages)

    # An iPhone's HEIC photo and an AVIF: decoded here, sent as PNG.
    import pillow_heif

    pillow_heif.register_heif_opener()
    for fmt, media in (("HEIF", "image/heic"), ("AVIF", "image/avif")):
        buf = io.BytesIO()
        Image.new("RGB", (60, 40), "white").save(buf, format=fmt)
        result = await registry.providers["vis"].process(_job(buf.getvalue(), media))
        assert result.pages[0].markdown.startswith("# PNG 60x40"), media
        sent = fake.requests[-1].json()["messages"][0]["content"][0]["image_url"]["url"]
        assert sent.startswith("data:image/png;base64,")


async def test_custom_prompt_and_max_tokens(fake: FakeOpenAI) -> None:
    fake.reset()
    reg = OcrRegistry(
        _settings(f"{fake.url}/v1", options='{ prompt = "Read it.", max_tokens = 99 }')
    )
    try:
        await reg.providers["vis"].process(_job(sized_pdf([(50, 50)]), "application/pdf"))
    finally:
        await reg.aclose()
    body = fake.requests[0].json()
    assert body["max_tokens"] == 99
    assert body["messages"][0]["content"][1]["text"] == "Read it."


async def test_errors(fake: FakeOpenAI) -> None:
    fake.reset()
    pdf = sized_pdf([(50, 50), (60, 60)])
    for settings, error, text in [
        (_settings(f"{fake.url}/v1", api_key="sk-wrong-1234567"), UpstreamError, "credentials"),
        (_settings(f"{fake.url}/v1", model="nope"), NotFoundError, "model `nope` does not exist"),
    ]:
        reg = OcrRegistry(settings)
        try:
            with pytest.raises(error, match=text) as info:
                await reg.providers["vis"].process(_job(pdf, "application/pdf"))
            assert "sk-wrong-1234567" not in str(info.value)
        finally:
            await reg.aclose()


async def _settled(fake: FakeOpenAI) -> None:
    """Wait until the fake has seen no new request for 0.3 s (at most 5 s)."""
    seen, quiet = -1, 0
    for _ in range(100):
        if len(fake.requests) == seen and fake.inflight == 0:
            quiet += 1
            if quiet == 6:
                return
        else:
            seen, quiet = len(fake.requests), 0
        await asyncio.sleep(0.05)


async def test_one_page_failing_fails_the_request(registry: OcrRegistry, fake: FakeOpenAI) -> None:
    fake.script.append(Reply(500, {"error": {"message": "overloaded", "type": "server_error"}}))
    with pytest.raises(UpstreamError, match="HTTP 500: overloaded"):
        await registry.providers["vis"].process(_job(sized_pdf(SIZES[:3]), "application/pdf"))
    # The other pages' calls were already on the wire when the 500 failed the request: let them
    # land before scripting the next reply, or one of them takes it.
    await _settled(fake)
    fake.script.append(Reply(200, {"choices": []}))
    with pytest.raises(UpstreamError, match="no choices"):
        await registry.providers["vis"].process(_job(sized_pdf(SIZES[:1]), "application/pdf"))


async def test_timeout(fake: FakeOpenAI) -> None:
    fake.reset()
    fake.script.append(Reply(200, {}, delay=2))
    reg = OcrRegistry(_settings(f"{fake.url}/v1", timeout=0.5))
    try:
        with pytest.raises(UpstreamTimeoutError):
            await reg.providers["vis"].process(_job(sized_pdf([(50, 50)]), "application/pdf"))
    finally:
        await reg.aclose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("```markdown\n# T\n\nx\n```", "# T\n\nx", id="markdown-fence"),
        pytest.param("```\nplain\n```\n", "plain", id="bare-fence"),
        pytest.param("# T\n\n```py\ncode\n```", "# T\n\n```py\ncode\n```", id="inner-kept"),
        pytest.param("  text  ", "text", id="no-fence"),
    ],
)
def test_strip_fences(text: str, expected: str) -> None:
    assert strip_fences(text) == expected


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        pytest.param({"options": "{ concurrency = -1 }"}, "options.concurrency", id="concurrency"),
        pytest.param({"options": '{ prompt = "" }'}, "options.prompt", id="prompt"),
        pytest.param({"model": ""}, "model", id="no-model"),
    ],
)
def test_config_is_validated(kw: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        OcrRegistry(_settings("http://127.0.0.1:1/v1", **kw))
