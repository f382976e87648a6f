"""README's examples run as written: every ``sh`` and ``python`` block, against a served gateway.

The gateway serves the repository's own ``config.toml`` (the local engine, auth off) as
``aigateway serve``; the blocks run in a directory holding ``invoice.pdf`` (a 5 MB, three-page
PDF) and ``scan.png``, as the README names them. The only change made to a block is the
gateway's address: ``http://127.0.0.1:8080`` becomes the test server's (nothing may bind 8080
here). A block preceded by ``<!-- readme-test: skip (why) -->`` (the internet, a server that
runs until stopped, the whole test suite) is skipped with that reason. Every OCR answer a
shell block prints must be a page list with the document's text, never an error; a Python
block must exit 0 (the SDK's OCR prints the first page, its batch job succeeds).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.docgen import text_pdf, text_png
from tests.support.officegen import report_docx
from tests.support.server import GatewayProcess, gateway_server
from tests.support.sized_docs import pad_pdf, pad_png

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PDF_PAGES = [
    "The harbour crane invoice number 2291.",
    "Second page: payment terms are thirty days.",
    "Third page, signed by Ada Lovelace.",
]
PNG_TEXT = "Scanned receipt for forty two euros"
PDF_SIZE = 5 * 1024 * 1024
PNG_SIZE = 1024 * 1024
DOCX = report_docx(sections=2, photos=2)
README_URL = "http://127.0.0.1:8080"

_FENCE = re.compile(
    r"(?:<!-- readme-test: skip \((?P<why>[^)]*)\) -->\n)?^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$",
    re.S | re.M,
)


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.lang}-line{self.line}"


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(m["lang"], m["body"], text.count("\n", 0, m.start("body")) + 1, m["why"])
        for m in _FENCE.finditer(text)
    ]


BLOCKS = _blocks()
RUNNABLE = [b for b in BLOCKS if b.lang in ("sh", "python")]
DEFINITIONS = next(b for b in RUNNABLE if b.body.startswith("DOC="))


def test_readme_has_the_examples_this_test_expects() -> None:
    # A README edit that silently drops the examples (or this test's parsing) must fail here.
    assert len([b for b in RUNNABLE if b.skip is None]) >= 7
    assert any("--data-binary @body.json" in b.body for b in RUNNABLE)
    assert any("Mistral(" in b.body for b in RUNNABLE)
    assert any("@asgi(" in b.body for b in RUNNABLE)
    assert any("file=@report.docx" in b.body for b in RUNNABLE)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "toml"], ids=lambda b: b.id)
def test_toml_blocks_are_toml(block: Block) -> None:
    tomllib.loads(block.body)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readme")
    (path / "invoice.pdf").write_bytes(pad_pdf(text_pdf(PDF_PAGES), PDF_SIZE))
    (path / "scan.png").write_bytes(pad_png(text_png(PNG_TEXT), PNG_SIZE))
    (path / "report.docx").write_bytes(DOCX)
    shutil.copy(REPO / "config.toml", path / "config.toml")
    return path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    config = (REPO / "config.toml").read_text(encoding="utf-8")
    with gateway_server(config, tmp_path_factory.mktemp("gw")) as gw:
        yield gw


def _answers(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects a block printed, one after another."""
    decoder = json.JSONDecoder()
    out, pos, text = [], 0, stdout.strip()
    while pos < len(text):
        value, end = decoder.raw_decode(text, pos)
        out.append(value)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _check_ocr_answer(answer: dict[str, Any]) -> None:
    assert "error" not in answer, answer
    assert answer["model"] == "local-auto"
    first = answer["pages"][0]["markdown"]
    if answer["usage_info"]["doc_size_bytes"] == len(DOCX):
        assert first.startswith("# Quarterly report\n\n# Section 1"), first
        assert answer["pages"][0]["tables"][0]["id"] == "tbl-0.html"
        assert answer["pages"][0]["reading"]["method"] == "markup"
    elif answer["usage_info"]["doc_size_bytes"] == PDF_SIZE:
        assert first == PDF_PAGES[0]
        assert [p["markdown"] for p in answer["pages"]] == PDF_PAGES[: len(answer["pages"])]
    else:
        assert answer["usage_info"]["doc_size_bytes"] == PNG_SIZE
        assert "receipt" in first.lower(), first


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_readme_block_runs(block: Block, workdir: Path, gateway: GatewayProcess) -> None:
    if block.skip is not None:
        pytest.skip(f"README marks it: {block.skip}")
    body = block.body.replace(README_URL, gateway.url)
    if block.lang == "python":
        proc = subprocess.run(
            [sys.executable, "-c", body],
            cwd=workdir, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, f"{proc.stderr}\n--- gateway ---\n{gateway.log()[-2000:]}"
        if "print(resp.pages[0].markdown)" in body:
            assert proc.stdout.strip() == PDF_PAGES[0]
        if "batch.jobs.create(" in body:
            assert proc.stdout.strip() == "SUCCESS 3"  # one output line per page
        return
    script = body if block is DEFINITIONS else DEFINITIONS.body + "\n" + body
    script = script.replace(README_URL, gateway.url)
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Argument list too long" not in proc.stderr
    if block is DEFINITIONS:
        return
    answers = _answers(proc.stdout)
    assert answers, f"no answer printed: {proc.stderr}"
    for answer in answers:
        _check_ocr_answer(answer)
    if "pages=0,1" in body:
        assert [p["index"] for p in answers[0]["pages"]] == [0, 1]
