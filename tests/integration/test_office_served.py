"""Word, PowerPoint and Excel files through ``aigateway serve`` as shipped.

One real server process (uvloop + httptools, a pool of two workers) reads real-size Office files
(photos make them 1-2 MB, as real ones are) from the official mistralai SDK, from multipart
uploads that name no type (curl's ``-F file=@report.docx``) and as base64 JSON, more at once
than it has workers; hostile packages get 422s naming ``document`` and cost no worker.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from aigateway.ocr.normalize.encoding import DOCX, PPTX, XLSX

from ..support.officegen import deck_pptx, report_docx, sales_xlsx, word_docx
from ..support.served_pages import LOCAL_OCR_CONFIG, mistral_layout
from ..support.server import GatewayProcess
from .test_served_ocr import restarts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gateway(module_gateway_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return module_gateway_factory(LOCAL_OCR_CONFIG)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    out = {
        "report.docx": report_docx(sections=4, photos=4),
        "deck.pptx": deck_pptx(slides=5),
        "sales.xlsx": sales_xlsx(rows=5000),
    }
    for name, data in out.items():
        assert 100_000 <= len(data) <= 5_000_000, (name, len(data))  # real sizes, not toys
    return out


def test_mistralai_sdk_reads_a_word_report(
    gateway: GatewayProcess, files: dict[str, bytes], tmp_path: Path
) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(files["report.docx"])
    report = mistral_layout(gateway.url, path, DOCX)
    pages = report["pages"]
    assert [p["index"] for p in pages] == [0, 1, 2, 3]
    first = pages[0]
    assert first["markdown"].startswith("# Quarterly report\n\n# Section 1: regional results")
    assert "[tbl-0.html](tbl-0.html)" in first["markdown"]
    (table,) = first["tables"]
    assert table["content"].startswith("<table><tr><th>Region</th><th>Q2</th><th>Q3</th></tr>")
    assert first["dimensions"] == [300, 2550, 3300]
    # Image ids run across the document: one photo per page.
    assert [p["images"][0]["id"] for p in pages] == [f"img-{n}.jpeg" for n in range(4)]
    assert all(p["images"][0]["data"] == "data:image/jpeg;base64," for p in pages)
    assert pages[3]["tables"][0]["id"] == "tbl-3.html"


def _upload(url: str, name: str, data: bytes, media: str) -> httpx.Response:
    with httpx.Client(timeout=180) as client:
        return client.post(url + "/v1/ocr", files={"file": (name, data, media)})


def _json(url: str, data: bytes, media: str, **fields: object) -> httpx.Response:
    uri = f"data:{media};base64," + base64.b64encode(data).decode()
    body = {"model": "local", "document": {"type": "document_url", "document_url": uri}, **fields}
    with httpx.Client(timeout=180) as client:
        return client.post(url + "/v1/ocr", json=body)


def test_every_office_type_both_transports_at_once(
    gateway: GatewayProcess, files: dict[str, bytes]
) -> None:
    url = gateway.url
    octet = "application/octet-stream"
    jobs = [
        lambda: _upload(url, "report.docx", files["report.docx"], octet),
        lambda: _upload(url, "deck.pptx", files["deck.pptx"], octet),
        lambda: _upload(url, "sales.xlsx", files["sales.xlsx"], octet),
        lambda: _json(
            url, files["report.docx"], DOCX, pages=[2], extract_header=True, extract_footer=True
        ),
        lambda: _json(url, files["deck.pptx"], PPTX, include_image_base64=True),
        lambda: _json(url, files["sales.xlsx"], XLSX, table_format="markdown"),
    ]
    with ThreadPoolExecutor(len(jobs)) as ex:
        docx, pptx, xlsx, docx_p2, pptx_img, xlsx_tbl = [
            r.result() for r in [ex.submit(j) for j in jobs]
        ]
    for r in (docx, pptx, xlsx, docx_p2, pptx_img, xlsx_tbl):
        assert r.status_code == 200, r.text[:500]
        assert all(p["reading"]["method"] == "markup" for p in r.json()["pages"])
    assert len(docx.json()["pages"]) == 4
    assert "| North | 1,200 | 1,350 |" in docx.json()["pages"][0]["markdown"]
    (only,) = docx_p2.json()["pages"]
    assert only["index"] == 2
    assert only["markdown"].startswith("# Section 3")
    # The running header and footer apart when asked for; not in the Markdown either way.
    assert (only["header"], only["footer"]) == ("Acme Corp | Quarterly report", "Confidential")
    assert "header" not in docx.json()["pages"][0]
    assert docx.json()["pages"][0]["hyperlinks"] == []  # a Word page says which links it has
    assert "Acme Corp" not in docx.text
    slides = pptx.json()["pages"]
    assert [s["markdown"].split("\n")[0] for s in slides] == ["# Launch plan"] + [
        f"# Numbers {n}" for n in range(1, 5)
    ]
    assert all(s["images"] == [] for s in slides)
    with_images = pptx_img.json()["pages"]
    assert [len(s["images"]) for s in with_images] == [0, 1, 1, 1, 1]
    assert with_images[1]["images"][0]["image_base64"].startswith("data:image/jpeg;base64,")
    sales = xlsx.json()["pages"]
    assert [s["markdown"].split("\n")[0] for s in sales] == ["## Sales", "## Empty", "## Far apart"]
    rows = re.findall(r"^\| Item \d+ \|", sales[0]["markdown"], re.M)
    assert len(rows) == 5000
    table = xlsx_tbl.json()["pages"][0]["tables"][0]
    assert table["content"].startswith("| Item | Qty | Price | Sold on | Paid |")
    metrics = httpx.get(url + "/metrics", timeout=10).text
    assert restarts(metrics) == 0


def test_hostile_office_files_are_named_422s(gateway: GatewayProcess) -> None:
    laughs = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    cases = {
        "zip bomb": (word_docx("<w:p/>" + " " * 80_000_000), "inflates to"),
        "entity bomb": (word_docx("<w:p>&b;</w:p>", prolog=laughs), "document type declaration"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "password-protected"),
        "truncated": (report_docx(sections=1, photos=1)[:60_000], "truncated or damaged"),
    }
    with ThreadPoolExecutor(len(cases)) as ex:
        answers = {
            name: ex.submit(_json, gateway.url, data, DOCX) for name, (data, _) in cases.items()
        }
    for name, future in answers.items():
        r = future.result()
        assert r.status_code == 422, (name, r.text[:300])
        err = r.json()["error"]
        assert err["param"] == "document", name
        assert cases[name][1] in err["message"], (name, err["message"])
    # Still serving: a good file right after.
    ok = _json(gateway.url, report_docx(sections=1, photos=1), DOCX)
    assert ok.status_code == 200, ok.text[:300]
    metrics = httpx.get(gateway.url + "/metrics", timeout=10).text
    assert restarts(metrics) == 0
