"""Files, signed URLs and OCR batches on real ``aigateway serve`` processes (memory backend).

The mistralai SDK (current major, and 1.x from ``.venv-legacy``) uploads a PDF, gets a signed
URL, OCRs it, and runs a 50-line OCR batch to ``SUCCESS``; another tenant gets 404s; expired
and tampered URLs are refused; hostile uploads and batch inputs get the error envelope; a
killed server resumes its job after a restart.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigateway.files.signing import Signer
from bench.common import padded_pdf

from ..support.docgen import scanned_pdf, text_pdf
from ..support.server import REPO, GatewayProcess, gateway_server

pytestmark = pytest.mark.slow

KEY_A = "sk-tenant-a-0001"
KEY_B = "sk-tenant-b-0002"
SIGNING_KEY = "test-signing-key-0123456789"
LEGACY = REPO / ".venv-legacy" / "bin" / "python"
SCAN_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")

CONFIG = """
[limits]
max_size_upload = 6000000

[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]

[[tenants]]
id = "acme"
api_keys = ["{a}"]

[[tenants]]
id = "other"
api_keys = ["{b}"]
limits = {{ max_size_upload = 100000 }}

[files]
directory = "{directory}"
signing_key = "{signing}"

[batches]
ocr_share = 0.5
claim_idle = 5.0
"""


def _config(tmp: Path) -> str:
    return CONFIG.format(a=KEY_A, b=KEY_B, directory=tmp / "data", signing=SIGNING_KEY)


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _big_pdf() -> tuple[bytes, list[str]]:
    pages = [f"Page {i} of the annual report. " + "lorem ipsum dolor sit " * 60 for i in range(60)]
    return text_pdf(pages), pages


def _upload(gw: GatewayProcess, key: str, name: str, data: bytes, purpose: str) -> dict[str, Any]:
    r = httpx.post(
        gw.url + "/v1/files",
        headers=_h(key),
        files={"file": (name, data, "application/octet-stream")},
        data={"purpose": purpose},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _ocr_lines(gw: GatewayProcess, n: int) -> tuple[bytes, dict[str, str]]:
    """``n`` OCR lines: most as data URIs, every fifth by file id (the first a 2 MB PDF);
    expected text by custom_id."""
    lines, expected = [], {}
    for i in range(n):
        text = f"Batch document number {i} says hello"
        # Line 0 is a 2 MB document (a text layer plus incompressible padding, like a scan).
        pdf = padded_pdf(2_000_000, text) if i == 0 else text_pdf([text])
        if i % 5 == 0:
            fid = _upload(gw, KEY_A, f"doc{i}.pdf", pdf, "ocr")["id"]
            document = {"type": "file", "file_id": fid}
        else:
            uri = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
            document = {"type": "document_url", "document_url": uri}
        lines.append(json.dumps({"custom_id": f"doc-{i}", "body": {"document": document}}))
        expected[f"doc-{i}"] = text
    return ("\n".join(lines) + "\n").encode(), expected


@pytest.mark.parametrize("python", ["current", "legacy"])
def test_mistralai_sdk_files_signed_url_ocr_and_batch(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path, python: str
) -> None:
    exe = sys.executable if python == "current" else str(LEGACY)
    if python == "legacy" and not LEGACY.exists():
        pytest.fail(".venv-legacy is missing: run scripts/setup (CI does) to get mistralai 1.x")
    gw = gateway_server_factory(_config(tmp_path))
    pdf, pages = _big_pdf()
    assert len(pdf) > 100_000
    (tmp_path / "report.pdf").write_bytes(pdf)
    # The must-show size on the current SDK; a smaller job is enough to prove 1.x parses it.
    n = 50 if python == "current" else 10
    jsonl, expected = _ocr_lines(gw, n)
    (tmp_path / "lines.jsonl").write_bytes(jsonl)
    script = str(REPO / "tests/support/clients/mistral_files.py")
    args = [str(tmp_path / "report.pdf"), str(tmp_path / "lines.jsonl")]
    out = subprocess.run(
        [exe, script, gw.url, KEY_A, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:] + gw.log()[-3000:]
    report = json.loads(out.stdout)
    assert (int(report["sdk"].split(".")[0]) >= 2) == (python == "current"), report["sdk"]
    assert report["upload"]["bytes"] == len(pdf)
    assert report["upload"]["purpose"] == "ocr"
    assert report["retrieve"] == {"filename": "report.pdf", "deleted": False}
    assert "/signed?" in report["signed_url"]
    assert [p.split(".")[0] for p in report["ocr_signed"]] == [p.split(".")[0] for p in pages]
    assert report["ocr_file_id"] == report["ocr_signed"]
    assert report["job"]["status"] == "SUCCESS", report["job"]
    assert report["job"]["total"] == report["job"]["succeeded"] == n
    assert report["job"]["metadata"] == {"run": "sdk"}
    assert report["outputs"] == expected
    assert report["jobs_listed"][0] is not None
    assert report.get("job_deleted", True) is True
    # A cancel that lands while the job is finalizing lets it finish (RUNNING, then SUCCESS).
    assert report["cancel"] in ("CANCELLATION_REQUESTED", "CANCELLED", "RUNNING", "SUCCESS")
    assert report["deleted"] is True
    # The signed URL kept working without any auth header until the file was deleted.
    assert httpx.get(report["signed_url"], timeout=10).status_code == 404


def test_other_tenant_gets_404_and_bad_urls_are_refused(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    gw = gateway_server_factory(_config(tmp_path))
    pdf = text_pdf(["Tenant A private page"])
    fid = _upload(gw, KEY_A, "a.pdf", pdf, "ocr")["id"]
    lines = json.dumps({"custom_id": "x", "body": {"document": {"type": "file", "file_id": fid}}})
    jid = httpx.post(
        gw.url + "/v1/batch/jobs",
        headers=_h(KEY_A),
        json={"endpoint": "/v1/ocr", "requests": [json.loads(lines)]},
        timeout=30,
    ).json()["id"]
    b = _h(KEY_B)
    for method, path in [
        ("GET", f"/v1/files/{fid}"),
        ("GET", f"/v1/files/{fid}/content"),
        ("GET", f"/v1/files/{fid}/url"),
        ("DELETE", f"/v1/files/{fid}"),
        ("GET", f"/v1/batch/jobs/{jid}"),
        ("POST", f"/v1/batch/jobs/{jid}/cancel"),
        ("GET", f"/v1/batches/{jid}"),
        ("POST", f"/v1/batches/{jid}/cancel"),
    ]:
        r = httpx.request(method, gw.url + path, headers=b, timeout=10)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["type"] == "invalid_request_error"
    assert httpx.get(gw.url + "/v1/files", headers=b, timeout=10).json()["data"] == []
    assert httpx.get(gw.url + "/v1/batches", headers=b, timeout=10).json()["data"] == []
    # Tenant B cannot OCR tenant A's file by id, nor start a batch over it.
    r = httpx.post(
        gw.url + "/v1/ocr",
        headers=b,
        json={"document": {"type": "file", "file_id": fid}},
        timeout=30,
    )
    assert (r.status_code, r.json()["error"]["param"]) == (404, "document.file_id")
    r = httpx.post(
        gw.url + "/v1/batches",
        headers=b,
        json={"input_file_id": fid, "endpoint": "/v1/ocr", "completion_window": "24h"},
        timeout=30,
    )
    assert r.status_code == 404
    # Signed URLs: valid without auth, expired is 410, tampered is 403, nothing leaks.
    url = httpx.get(gw.url + f"/v1/files/{fid}/url?expiry=1", headers=_h(KEY_A)).json()["url"]
    ok = httpx.get(url, timeout=10)
    assert ok.status_code == 200 and ok.content == pdf
    signer = Signer(SIGNING_KEY.encode())
    expired = f"{gw.url}/v1/files/{fid}/signed?" + signer.query("acme", fid, int(time.time()) - 5)
    r = httpx.get(expired, timeout=10)
    assert r.status_code == 410, r.text
    assert r.json()["error"]["code"] == "signed_url_expired"
    r = httpx.post(
        gw.url + "/v1/ocr",
        headers=b,
        json={"document": {"type": "document_url", "document_url": expired}},
        timeout=30,
    )
    assert (r.status_code, r.json()["error"]["param"]) == (410, "document.document_url")
    forged = url.replace("tenant=acme", "tenant=other")
    assert httpx.get(forged, timeout=10).status_code == 403
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert httpx.get(tampered, timeout=10).status_code == 403
    other_file = url.replace(f"/files/{fid}/", "/files/0123/")
    assert httpx.get(other_file, timeout=10).status_code == 403
    assert "Tenant A private page" not in gw.log()
    assert SIGNING_KEY not in gw.log()


def test_hostile_uploads_and_batch_inputs(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    gw = gateway_server_factory(_config(tmp_path))
    a = _h(KEY_A)

    def err(r: httpx.Response) -> tuple[int, Any]:
        return r.status_code, r.json()["error"]["param"]

    assert httpx.get(gw.url + "/v1/files", timeout=10).status_code == 401
    r = httpx.post(
        gw.url + "/v1/files", headers=a, files={"file": ("x", b"a")}, data={"purpose": "evil"}
    )
    assert err(r) == (400, "purpose")
    r = httpx.post(gw.url + "/v1/files", headers=a, data={"purpose": "batch"})
    assert r.status_code in (400, 415)
    big = b"%PDF-" + b"0" * 200_000
    r = httpx.post(
        gw.url + "/v1/files", headers=_h(KEY_B), files={"file": ("b.pdf", big)}, timeout=30
    )
    assert r.status_code == 413, r.text
    sneaky = _upload(gw, KEY_A, "../../etc/passwd\r\n.pdf", b"%PDF-1.4 tiny", "user_data")
    assert sneaky["filename"] == "passwd.pdf"
    for bad in ["..%2F..%2Fetc%2Fpasswd", "a" * 300, "%00"]:
        r = httpx.get(gw.url + f"/v1/files/{bad}", headers=a, timeout=10)
        assert r.status_code == 404, (bad, r.text)
    r = httpx.post(gw.url + "/v1/batch/jobs", headers=a, json={"endpoint": "/v1/ocr"})
    assert err(r) == (400, "input_files")
    r = httpx.post(
        gw.url + "/v1/batch/jobs", headers=a, json={"endpoint": "/v1/rm-rf", "input_files": ["x"]}
    )
    assert err(r) == (400, "endpoint")
    r = httpx.post(gw.url + "/v1/batches", headers=a, json={"endpoint": "/v1/ocr"})
    assert err(r) == (400, "input_file_id")
    r = httpx.post(
        gw.url + "/v1/batch/jobs",
        headers=a,
        json={"endpoint": "/v1/ocr", "input_files": ["0000aaaa-no-such-file"]},
    )
    assert err(r) == (404, "input_files[0]")
    bad_lines = b'{"custom_id": "1", "body": {}}\nnot json\n{"custom_id": "1", "body": {}}\n[1]\n'
    fid = _upload(gw, KEY_A, "bad.jsonl", bad_lines, "batch")["id"]
    r = httpx.post(
        gw.url + "/v1/batches",
        headers=a,
        json={"input_file_id": fid, "endpoint": "/v1/ocr", "completion_window": "24h"},
    )
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "failed"
    assert [e["line"] for e in job["errors"]["data"]] == [2, 3, 4]
    # Lines whose bodies are wrong run and land in the error file, naming the field.
    lines = b'{"custom_id": "a", "body": {"document_url": "ftp://x/y.pdf"}}\n'
    lines += b'{"custom_id": "b", "body": {"document_base64": "***"}}\n'
    fid = _upload(gw, KEY_A, "fields.jsonl", lines, "batch")["id"]
    job = httpx.post(
        gw.url + "/v1/batches",
        headers=a,
        json={"input_file_id": fid, "endpoint": "/v1/ocr", "completion_window": "24h"},
    ).json()
    job = _wait(gw, f"/v1/batches/{job['id']}", KEY_A, ("completed", "failed"))
    assert job["status"] == "completed"
    assert job["request_counts"] == {"total": 2, "completed": 0, "failed": 2}
    assert job["output_file_id"] is None
    errors = httpx.get(gw.url + f"/v1/files/{job['error_file_id']}/content", headers=a).text
    params = {
        (line := json.loads(raw))["custom_id"]: line["response"]["body"]["error"]["param"]
        for raw in errors.splitlines()
    }
    assert params == {"a": "document_url", "b": "document_base64"}


def _wait(
    gw: GatewayProcess, path: str, key: str, done: tuple[str, ...], timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = dict(httpx.get(gw.url + path, headers=_h(key), timeout=10).json())
        if job["status"] in done or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_interactive_ocr_is_served_while_a_batch_runs(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    """Concurrency above the pool size (2 workers): 6 interactive requests during a batch."""
    gw = gateway_server_factory(_config(tmp_path))
    jsonl, expected = _ocr_lines(gw, 20)
    fid = _upload(gw, KEY_A, "lines.jsonl", jsonl, "batch")["id"]
    job = httpx.post(
        gw.url + "/v1/batch/jobs",
        headers=_h(KEY_A),
        json={"endpoint": "/v1/ocr", "input_files": [fid]},
    ).json()

    def interactive(i: int) -> str:
        pdf = text_pdf([f"Interactive request {i} answered"])
        r = httpx.post(
            gw.url + "/v1/ocr",
            headers=_h(KEY_A),
            files={"file": ("i.pdf", pdf, "application/pdf")},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        return str(r.json()["text"])

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        texts = list(pool.map(interactive, range(6)))
    assert texts == [f"Interactive request {i} answered" for i in range(6)]
    final = _wait(gw, f"/v1/batch/jobs/{job['id']}?inline=true", KEY_A, ("SUCCESS", "FAILED"))
    assert final["status"] == "SUCCESS"
    got = {o["custom_id"]: o["response"]["body"]["text"] for o in final["outputs"]}
    assert got == expected


def test_files_and_jobs_survive_a_restart(tmp_path: Path) -> None:
    """kill -9 in the middle of a job: after a restart the job resumes and completes, each
    line once, and the uploaded files are still there."""
    config = _config(tmp_path)
    with gateway_server(config, tmp_path) as gw:
        jsonl, expected = _ocr_lines(gw, 34)
        # Six scans at the end (Tesseract, a fraction of a second each with one batch slot):
        # whatever the machine's speed, the job is still running when it is killed.
        for i, word in enumerate(SCAN_WORDS):
            uri = "data:application/pdf;base64,"
            uri += base64.b64encode(scanned_pdf([f"Scanned line {word} reads fine"])).decode()
            body = {"document": {"type": "document_url", "document_url": uri}}
            jsonl += json.dumps({"custom_id": f"scan-{i}", "body": body}).encode() + b"\n"
            expected[f"scan-{i}"] = f"Scanned line {word} reads fine"
        fid = _upload(gw, KEY_A, "lines.jsonl", jsonl, "batch")["id"]
        job = httpx.post(
            gw.url + "/v1/batches",
            headers=_h(KEY_A),
            json={"input_file_id": fid, "endpoint": "/v1/ocr", "completion_window": "24h"},
        ).json()
        url = gw.url + f"/v1/batches/{job['id']}"
        deadline = time.monotonic() + 60
        done = 0
        while done < 5:
            assert time.monotonic() < deadline
            time.sleep(0.05)
            done = httpx.get(url, headers=_h(KEY_A)).json()["request_counts"]["completed"]
        gw.process.kill()
        assert done < 40, "the job finished before the kill: nothing was left to resume"
        gw.process.wait(10)
    with gateway_server(config, tmp_path) as gw:
        assert httpx.get(gw.url + f"/v1/files/{fid}", headers=_h(KEY_A)).status_code == 200
        final = _wait(gw, f"/v1/batches/{job['id']}", KEY_A, ("completed", "failed"))
        assert final["status"] == "completed", final
        assert final["request_counts"] == {"total": 40, "completed": 40, "failed": 0}
        out = httpx.get(gw.url + f"/v1/files/{final['output_file_id']}/content", headers=_h(KEY_A))
        lines = [json.loads(raw) for raw in out.text.splitlines()]
        ids = [line["custom_id"] for line in lines]
        assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
        got = {x["custom_id"]: x["response"]["body"]["text"] for x in lines}
        assert {k: v for k, v in got.items() if not k.startswith("scan-")} == {
            k: v for k, v in expected.items() if not k.startswith("scan-")
        }
        for i, word in enumerate(SCAN_WORDS):  # OCR'd text: compare words, not punctuation
            assert got[f"scan-{i}"].lower().split() == f"scanned line {word} reads fine".split()
