"""The playground and the docs page in a real browser: Debian's Chromium driven by Playwright.

A gateway runs as ``aigateway serve`` (local OCR engine, a loopback OpenAI-compatible chat
upstream, one tenant). The test uploads a 5 MB PDF and a PNG, waits for the rendered markdown
and the page images, runs the page's curl, mistralai and openai snippets verbatim on the same
files, streams a chat answer, and loads ``/docs``. Screenshots go to ``artifacts/screenshots/``.

Chromium is never downloaded: the test uses ``/usr/bin/chromium`` (``.ci/run`` and
``scripts/test`` install it with apt). It skips only when no Chromium is installed and
``CI`` is not set; under ``CI=true`` a missing browser is a failure.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support import docgen
from tests.support.officegen import report_docx
from tests.support.server import GatewayProcess, free_port, gateway_server
from tests.support.upstreams.openai_fake import OpenAIFake

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "sk-playground-tenant-key-1"
UPSTREAM_KEY = "sk-upstream-secret-123"

CONFIG = """
[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[chat_models]]
id = "primary"
base_url = "{url}/v1"
api_key = "{upstream_key}"
models = ["gpt-test", "gated"]
timeout = 30

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
chat_model_refs = ["primary"]

[[tenants]]
id = "acme"
api_keys = ["{key}"]
"""

PAGE_TEXTS = [
    "Quarterly report of the harbour authority page one",
    "Shipping volumes grew in the second quarter page two",
    "Outlook for the coming winter season page three",
]
PNG_TEXT = "Invoice number 4711 total amount due"


def _noise_jpeg(width: int, height: int, seed: int) -> bytes:
    # Random pixels do not compress: a realistic multi-megabyte brochure-style page image.
    rng = random.Random(seed)
    img = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def big_text_pdf(texts: list[str], target_bytes: int) -> bytes:
    """A born-digital PDF (a text layer per page) whose pages also carry a large photo, so the
    file is about ``target_bytes`` while its text stays exact."""
    per_page = target_bytes // len(texts)
    side = int((per_page / 0.68) ** 0.5)  # grey noise at JPEG quality 85: ~0.68 bytes/pixel
    pages = []
    for i, text in enumerate(texts):
        photo = _noise_jpeg(side, side, seed=i)
        ops = docgen._text_ops([text], size=14, x=56, top=800, mode=0)
        ops += b"\nq 400 0 0 400 96 200 cm /Im0 Do Q"
        pages.append((ops, [("Im0", photo, side, side)], 0))
    return docgen._build_pdf(pages)


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if IN_CI:
        pytest.fail("CI=true but Chromium is not installed (.ci/run installs Debian's chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIFake]:
    fake = OpenAIFake("primary", UPSTREAM_KEY).start()
    try:
        yield fake
    finally:
        fake.gate.set()
        fake.stop()


@pytest.fixture(scope="module")
def gateway(upstream: OpenAIFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    config = CONFIG.format(url=upstream.url, upstream_key=UPSTREAM_KEY, key=KEY)
    with gateway_server(config, tmp_path_factory.mktemp("browser-gw")) as gw:
        yield gw


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium_or_skip()
    # Playwright comes with the dev extra: in CI its absence is a failure, not a skip.
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors
    try:
        yield pg
    finally:
        context.close()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _apply_key(page: Any) -> None:
    page.fill("#api-key", KEY)
    page.click("#key-apply")
    page.wait_for_function("() => document.querySelector('#provider').options.length > 1")


def _run_ocr(page: Any, path: Path, *, pages: str = "") -> None:
    page.set_input_files("#file", str(path))
    page.wait_for_function(
        "name => document.querySelector('#file-info').textContent.includes(name)", arg=path.name
    )
    page.fill("#pages", pages)
    page.click("#run")
    page.wait_for_function(
        "() => document.querySelector('#ocr-status').textContent.startsWith('Done')"
        " || document.querySelector('#ocr-status').classList.contains('error')",
        timeout=180_000,
    )
    status = page.inner_text("#ocr-status")
    assert status.startswith("Done"), status


def _page_images_loaded(page: Any) -> list[int]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('img.page-image'))
             .map(img => img.complete ? img.naturalWidth : 0)"""
    )


def _run_snippet(kind: str, code: str, workdir: Path) -> dict[str, Any]:
    env = {**os.environ, "AIGW_API_KEY": KEY}
    if kind == "curl":
        proc = subprocess.run(
            ["bash", "-c", code], cwd=workdir, env=env, capture_output=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return json.loads(proc.stdout)
    script = workdir / f"{kind}_snippet.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return {"printed": proc.stdout.decode()}


def test_pdf_and_png_render_with_page_images_and_working_snippets(
    page: Any, gateway: GatewayProcess, tmp_path: Path
) -> None:
    pdf_path = tmp_path / "harbour report; 2026.pdf"  # a name curl -F must quote
    pdf_path.write_bytes(big_text_pdf(PAGE_TEXTS, 5_000_000))
    assert 4_500_000 < pdf_path.stat().st_size < 6_000_000
    png_path = tmp_path / "invoice.png"
    png_path.write_bytes(docgen.text_png(PNG_TEXT, size=48))

    page.goto(gateway.url + "/playground")
    assert page.is_visible("#key-box")
    _apply_key(page)
    assert page.eval_on_selector_all("#provider option", "os => os.map(o => o.value)") == [
        "",
        "local",
    ]

    # The PDF: three text-layer pages, each with its rendered page image.
    page.select_option("#provider", "local")
    page.check("#include-images")
    _run_ocr(page, pdf_path)
    texts = page.eval_on_selector_all(".page .md", "els => els.map(e => e.textContent)")
    assert len(texts) == 3
    for want, got in zip(PAGE_TEXTS, texts, strict=True):
        assert want in got
    widths = _page_images_loaded(page)
    assert len(widths) == 3 and all(w > 100 for w in widths), widths
    assert "local" in page.inner_text(".summary-list")
    raw = json.loads(page.text_content("#raw-json") or "")
    assert [p["index"] for p in raw["pages"]] == [0, 1, 2]
    _shot(page, "playground-pdf")

    # The snippets work verbatim on the 5 MB file, next to it, with the key in the environment.
    snippets = {k: page.inner_text(f"#snippet-{k}") for k in ("curl", "mistralai", "openai")}
    assert KEY not in "".join(snippets.values())
    body = _run_snippet("curl", snippets["curl"], tmp_path)
    assert [p["index"] for p in body["pages"]] == [0, 1, 2]
    assert PAGE_TEXTS[2] in body["pages"][2]["markdown"]
    for kind in ("mistralai", "openai"):
        printed = _run_snippet(kind, snippets[kind], tmp_path)["printed"]
        for want in PAGE_TEXTS:
            assert want in printed, (kind, printed[:500])

    # A page selection keeps the original page numbers, images included.
    page.select_option("#provider", "")
    page.uncheck("#include-images")
    _run_ocr(page, pdf_path, pages="1-2")
    headings = page.eval_on_selector_all(".page h3", "els => els.map(e => e.textContent)")
    assert headings == ["Page 2 (index 1)", "Page 3 (index 2)"]
    assert len([w for w in _page_images_loaded(page) if w > 100]) == 2
    assert "pages=1-2" in page.inner_text("#snippet-curl")

    # The PNG goes through OCR; its image is the file itself.
    _run_ocr(page, png_path)
    md = page.inner_text(".page .md").lower()
    for word in ("invoice", "4711", "amount"):
        assert word in md, md
    assert _page_images_loaded(page)[0] > 100
    _shot(page, "playground-png")

    # The key lived in the page only.
    stored = page.evaluate(
        "() => [localStorage.length, sessionStorage.length, document.cookie, location.href]"
    )
    assert stored == [0, 0, "", gateway.url + "/playground"]
    assert page.console_errors == []


def test_a_word_file_reads_in_the_playground_and_its_snippet_works(
    page: Any, gateway: GatewayProcess, tmp_path: Path
) -> None:
    path = tmp_path / "quarterly report.docx"
    path.write_bytes(report_docx(sections=2, photos=2))
    assert path.stat().st_size > 100_000
    page.goto(gateway.url + "/playground")
    _apply_key(page)
    page.select_option("#provider", "local")
    _run_ocr(page, path)
    texts = page.eval_on_selector_all(".page .md", "els => els.map(e => e.textContent)")
    assert len(texts) == 2
    assert "Section 1: regional results" in texts[0]
    assert "Section 2: regional results" in texts[1]
    # The table is rendered as a table, not as pipes.
    assert page.eval_on_selector_all(".page .md table", "ts => ts.length") == 2
    raw = json.loads(page.text_content("#raw-json") or "")
    assert [p["reading"]["method"] for p in raw["pages"]] == ["markup", "markup"]
    _shot(page, "playground-docx")
    body = _run_snippet("curl", page.inner_text("#snippet-curl"), tmp_path)
    assert [p["index"] for p in body["pages"]] == [0, 1]
    assert page.console_errors == []


def test_chat_streams_into_the_page(
    page: Any, gateway: GatewayProcess, upstream: OpenAIFake
) -> None:
    upstream.gate.clear()
    page.goto(gateway.url + "/playground")
    page.fill("#api-key", KEY)
    page.press("#api-key", "Enter")
    # Keyboard: arrow keys move between the tabs.
    page.focus("#tab-ocr")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-chat", "aria-selected") == "true"
    assert page.is_visible("#panel-chat") and not page.is_visible("#panel-ocr")
    page.wait_for_function("() => document.querySelector('#model').options.length >= 2")
    models = page.eval_on_selector_all("#model option", "os => os.map(o => o.value)")
    assert "gpt-test" in models and "local" not in models  # OCR entities are not chat models

    # "gated" sends its first word, then waits: the page must show it before the rest exists.
    page.select_option("#model", "gated")
    page.fill("#message", "Say hello")
    page.click("#send")
    page.wait_for_function(
        "() => document.querySelector('.msg.assistant .text').textContent.startsWith('Hello')"
    )
    assert page.get_attribute(".msg.assistant", "aria-busy") == "true"
    partial = page.inner_text(".msg.assistant .text")
    assert "jumps" not in partial
    upstream.gate.set()
    page.wait_for_function(
        "() => document.querySelector('#chat-status').textContent.startsWith('Done')"
    )
    assert page.inner_text(".msg.assistant .text") == upstream.text_for("gated")
    assert "tokens" in page.inner_text("#chat-status")

    # A second turn carries the conversation.
    page.select_option("#model", "gpt-test")
    page.fill("#message", "And again")
    page.click("#send")
    page.wait_for_function(
        "() => document.querySelectorAll('.msg.assistant').length === 2"
        " && document.querySelector('#chat-status').textContent.startsWith('Done')"
    )
    last = upstream.requests[-1].json()
    assert [m["role"] for m in last["messages"]] == ["user", "assistant", "user"]
    assert last["stream"] is True
    _shot(page, "playground-chat")
    assert page.console_errors == []


def test_markdown_renderer_never_runs_document_markup(page: Any, gateway: GatewayProcess) -> None:
    page.goto(gateway.url + "/playground")
    hostile = (
        "# Title <script>window.pwned = 1</script>\n\n"
        '<img src=x onerror="window.pwned = 2">\n\n'
        "[click](javascript:window.pwned=3) and ![x](https://tracker.example/p.png)\n\n"
        "| a | b |\n|---|---|\n| <b>1</b> | 2 |\n\n"
        '<table><tr><td onclick="x()">cell<script>window.pwned = 4</script></td></tr></table>\n\n'
        "- one\n  - nested\n- two\n\n**bold** and `code`"
    )
    result = page.evaluate(
        """md => {
            const el = window.renderMarkdown(md, {});
            document.querySelector('#ocr-result').append(el);
            return {
                scripts: el.querySelectorAll('script').length,
                imgs: Array.from(el.querySelectorAll('img')).map(i => i.getAttribute('src')),
                links: Array.from(el.querySelectorAll('a')).map(a => a.getAttribute('href')),
                handlers: Array.from(el.querySelectorAll('*')).flatMap(
                    e => Array.from(e.attributes).map(a => a.name)).filter(n => n.startsWith('on')),
                tables: el.querySelectorAll('table').length,
                nested: el.querySelectorAll('ul ul li').length,
                text: el.textContent,
                pwned: window.pwned === undefined ? null : window.pwned,
            };
        }""",
        hostile,
    )
    assert result["scripts"] == 0 and result["handlers"] == [] and result["pwned"] is None
    assert result["imgs"] == []  # no remote image is ever loaded
    assert result["links"] == []
    assert result["tables"] == 2 and result["nested"] == 1
    assert "<script>" in result["text"]  # shown as text


def test_docs_page_renders_the_document(page: Any, gateway: GatewayProcess) -> None:
    page.goto(gateway.url + "/docs")
    page.wait_for_selector("#main section.op")
    ops = page.eval_on_selector_all("section.op h3", "els => els.map(e => e.textContent)")
    assert "post /v1/ocr" in ops and "post /v1/chat/completions" in ops
    assert page.inner_text("#base") == gateway.url
    example = page.inner_text("#ocr__v1_ocr pre.example")
    assert example.startswith(f"curl -s -X POST {gateway.url}/v1/ocr")
    _shot(page, "docs")
    assert page.console_errors == []


MOUNTED_APP = """
from starlette.applications import Starlette
from starlette.routing import Mount

from aigateway import create_app

app = Starlette(routes=[Mount("/ai", app=create_app("gateway.toml"))])
"""

MOUNTED_CONFIG = """
[ocr_pool]
workers = 1

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[str]:
    """The gateway mounted under /ai in a Starlette app, served by uvicorn in a subprocess."""
    (tmp_path / "mounted_app.py").write_text(MOUNTED_APP, encoding="utf-8")
    (tmp_path / "gateway.toml").write_text(MOUNTED_CONFIG, encoding="utf-8")
    port = free_port()
    log = (tmp_path / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "mounted_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        cwd=tmp_path, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/ai/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "uvicorn.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def test_pages_work_when_mounted_under_a_prefix(page: Any, mounted: str, tmp_path: Path) -> None:
    pdf_path = tmp_path / "two.pdf"
    pdf_path.write_bytes(docgen.text_pdf(["First page of the mounted test", "Second page here"]))
    for entry in ("/ai/playground", "/ai/playground/"):
        page.goto(mounted + entry)
        page.wait_for_function("() => document.querySelector('#provider').options.length > 1")
        _run_ocr(page, pdf_path)
        texts = page.eval_on_selector_all(".page .md", "els => els.map(e => e.textContent)")
        assert "First page of the mounted test" in texts[0]
        assert [w > 100 for w in _page_images_loaded(page)] == [True, True]
        assert f"curl -s '{mounted}/ai/v1/ocr'" in page.inner_text("#snippet-curl")
        assert page.get_attribute("#links a", "href") == mounted + "/ai/docs"
    for entry in ("/ai/docs", "/ai/docs/"):
        page.goto(mounted + entry)
        page.wait_for_selector("#main section.op")
        assert page.inner_text("#base") == mounted + "/ai"
        hrefs = page.eval_on_selector_all("#links a", "els => els.map(a => a.href)")
        assert hrefs == [mounted + "/ai/openapi.json", mounted + "/ai/playground"]
    assert page.console_errors == []
