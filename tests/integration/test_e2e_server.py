"""End to end on real server processes: the official mistralai SDKs, streaming limits,
replicas sharing Redis, reload."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from aigateway.tenancy.auth import hash_key

from ..support.docgen import encrypted_pdf, scanned_pdf, text_pdf, text_png
from ..support.server import REPO, GatewayProcess

pytestmark = pytest.mark.slow

LOCAL = """
[limits]
max_size_upload = 2000000

[ocr_pool]
workers = 2

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""

PDF_PAGES = ["Invoice number 4711 for Acme Corporation", "Second page says thank you"]
IMAGE_TEXT = "The quick brown fox jumps over the lazy dog"
LEGACY = REPO / ".venv-legacy" / "bin" / "python"


def _words(text: str) -> list[str]:
    return [w.strip(".,").lower() for w in text.split()]


@pytest.fixture
def local_gateway(gateway_server_factory: Callable[..., GatewayProcess]) -> GatewayProcess:
    return gateway_server_factory(LOCAL)


@pytest.mark.parametrize("python", ["current", "legacy"])
def test_mistralai_sdk_reads_pdf_and_image(
    local_gateway: GatewayProcess, tmp_path: Path, python: str
) -> None:
    exe = sys.executable if python == "current" else str(LEGACY)
    if python == "legacy" and not LEGACY.exists():
        pytest.fail(".venv-legacy is missing: run scripts/setup (CI does) to get mistralai 1.x")
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(text_pdf(PDF_PAGES))
    png = tmp_path / "img.png"
    png.write_bytes(text_png(IMAGE_TEXT))
    out = subprocess.run(
        [
            exe,
            str(REPO / "tests" / "support" / "clients" / "mistral_ocr.py"),
            local_gateway.url,
            str(pdf),
            str(png),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(out.stdout)
    major = int(report["sdk"].split(".")[0])
    assert (major >= 2) == (python == "current"), report["sdk"]
    assert [p["markdown"] for p in report["pdf"]["pages"]] == PDF_PAGES, report
    assert report["pdf"]["pages_processed"] == 2
    assert report["pdf_pages"]["pages"] == [{"index": 1, "markdown": PDF_PAGES[1]}]
    assert _words(report["png"]["pages"][0]["markdown"]) == _words(IMAGE_TEXT), report
    assert report["png"]["dimensions"][0][0] > 0
    assert report["bad"]["status"] == 422, report


def test_scanned_and_encrypted_pdfs_over_http(local_gateway: GatewayProcess) -> None:
    scanned = scanned_pdf(["Scanned page with printed words"])
    resp = httpx.post(
        local_gateway.url + "/v1/ocr",
        files={"image": ("scan.pdf", scanned, "application/pdf")},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    assert _words(resp.json()["text"]) == _words("Scanned page with printed words")
    locked = encrypted_pdf("Secret quarterly numbers", "s3cret")
    b64 = base64.b64encode(locked).decode()
    no_pw = httpx.post(local_gateway.url + "/v1/ocr", json={"document_base64": b64}, timeout=60)
    assert no_pw.status_code == 422
    assert no_pw.json()["error"]["param"] == "pdf_password"
    wrong = httpx.post(
        local_gateway.url + "/v1/ocr",
        json={"document_base64": b64, "pdf_password": "nope"},
        timeout=60,
    )
    assert wrong.status_code == 422
    assert "wrong" in wrong.json()["error"]["message"]
    ok = httpx.post(
        local_gateway.url + "/v1/ocr",
        json={"document_base64": b64, "pdf_password": "s3cret"},
        timeout=60,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["text"] == "Secret quarterly numbers"


def test_two_documents_or_a_text_file_are_refused_by_name(local_gateway: GatewayProcess) -> None:
    """Served, eight requests at once on two workers, with real-sized parts: a form carrying
    two documents is a 400 naming the field
    (not the first read and the second dropped), and a ``data:text/plain`` document is a 415
    naming ``text/plain``, not "octet-stream"."""
    scanned = scanned_pdf(["First document of two", "and its second page"])
    png = text_png(IMAGE_TEXT * 120, size=28)
    assert len(scanned) > 100_000 and len(png) > 100_000, (len(scanned), len(png))
    text = base64.b64encode(b"plain words, not a document\n" * 8000).decode()
    url = local_gateway.url + "/v1/ocr"

    def two() -> httpx.Response:
        pair = [
            ("file", ("a.pdf", scanned, "application/pdf")),
            ("file", ("b.png", png, "image/png")),
        ]
        return httpx.post(url, files=pair, timeout=120)

    def plain() -> httpx.Response:
        doc = {"type": "document_url", "document_url": f"data:text/plain;base64,{text}"}
        return httpx.post(url, json={"document": doc}, timeout=120)

    def one() -> httpx.Response:
        return httpx.post(url, files={"file": ("a.pdf", scanned, "application/pdf")}, timeout=120)

    # All at once, three good documents among them: more requests than the pool's 2 workers,
    # and the refusals do not wait behind (or disturb) the pages being read.
    calls = [two, plain, one, two, one, plain, one, two]
    with ThreadPoolExecutor(len(calls)) as ex:
        answers = list(ex.map(lambda call: (call.__name__, call()), calls))
    for name, resp in answers:
        if name == "two":
            assert resp.status_code == 400, resp.text
            assert resp.json()["error"]["param"] == "file"
            assert "more than one document" in resp.json()["error"]["message"]
        elif name == "plain":
            assert resp.status_code == 415, resp.text
            assert "text/plain" in resp.json()["error"]["message"]
            # No content_type was sent: the field that carried the document is named.
            assert resp.json()["error"]["param"] == "document.document_url"
        else:
            assert resp.status_code == 200, resp.text
            assert "First document of two" in resp.json()["text"]


def test_chunked_upload_over_the_cap_is_cut_off(local_gateway: GatewayProcess) -> None:
    """A chunked body (no Content-Length) is answered 413 once the running count passes the
    ~3 MB JSON cap, while the client is still sending: the server does not read it all."""
    chunk = b"A" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", local_gateway.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.setblocking(False)
        while sent < 100 * 1024 * 1024 and not answer:
            try:
                sock.sendall(frame)
                sent += len(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
            with contextlib.suppress(BlockingIOError):
                answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * 1024 * 1024, sent


def test_declared_length_over_the_cap_is_refused_before_reading(
    local_gateway: GatewayProcess,
) -> None:
    with socket.create_connection(("127.0.0.1", local_gateway.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 500000000\r\n\r\n"
        )
        # The status line and the body may arrive in separate segments: read the whole answer.
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
        answer = (head + b"\r\n\r\n" + body).decode()
    assert answer.startswith("HTTP/1.1 413"), answer
    assert "max_size_upload" in answer


def _tenant_config(redis_url: str, rpm: int) -> str:
    return (
        LOCAL
        + f"""
[state]
backend = "redis"
url = "{redis_url}"

[[tenants]]
id = "shared"
api_keys = ["{hash_key("replica-test-key")}"]
limits = {{ requests_per_minute = {rpm} }}
"""
    )


@pytest.mark.minute_window(20)
def test_two_replicas_share_one_limit(
    gateway_server_factory: Callable[..., GatewayProcess], redis_url: str
) -> None:
    config = _tenant_config(redis_url, 7)
    a = gateway_server_factory(config)
    b = gateway_server_factory(config)
    headers = {"authorization": "Bearer replica-test-key"}
    codes = []
    retry_after = []
    with httpx.Client(timeout=10) as client:
        for i in range(16):
            target = (a, b)[i % 2]
            resp = client.get(target.url + "/v1/models", headers=headers)
            codes.append(resp.status_code)
            if resp.status_code == 429:
                retry_after.append(int(resp.headers["retry-after"]))
    assert codes.count(200) == 7, codes
    assert codes.count(429) == 9, codes
    assert all(1 <= r <= 60 for r in retry_after)


def test_reload_applies_good_config_and_refuses_bad(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(LOCAL)
    with httpx.Client(timeout=10) as client:
        assert [m["id"] for m in client.get(gw.url + "/v1/models").json()["data"]] == ["local"]
        text = gw.config_path.read_text()
        gw.config_path.write_text(
            text.replace('ocr_model_refs = ["local"]', 'ocr_model_refs = ["local", "again"]')
            + '\n[[ocr_models]]\nid = "again"\nprovider = "local"\n'
        )
        os.kill(gw.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        ids: list[str] = []
        while time.monotonic() < deadline:
            ids = [m["id"] for m in client.get(gw.url + "/v1/models").json()["data"]]
            if ids == ["local", "again"]:
                break
            time.sleep(0.1)
        assert ids == ["local", "again"]
        gw.config_path.write_text("this is = not [valid toml")
        os.kill(gw.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reload refused" not in gw.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "reload refused" in gw.log()
        ids = [m["id"] for m in client.get(gw.url + "/v1/models").json()["data"]]
        assert ids == ["local", "again"]
        assert client.get(gw.url + "/readyz").status_code == 200


def test_cli_check_and_ocr(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(LOCAL)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    check = subprocess.run(
        [sys.executable, "-m", "aigateway", "check", "--config", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert "route / plugin=openai_compat" in check.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(LOCAL.replace('provider = "local"', 'provider = "nope"'))
    fail = subprocess.run(
        [sys.executable, "-m", "aigateway", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert fail.returncode == 1
    assert str(bad) in fail.stderr
    assert "$.ocr_models[0].provider" in fail.stderr
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(text_pdf(PDF_PAGES))
    ocr = subprocess.run(
        [sys.executable, "-m", "aigateway", "ocr", str(pdf), "--config", str(cfg), "--pages", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ocr.returncode == 0, ocr.stderr
    assert ocr.stdout.strip() == PDF_PAGES[1]
    key = subprocess.run(
        [sys.executable, "-m", "aigateway", "hash-key", "abc"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert key.stdout.strip() == hash_key("abc")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def test_multi_worker_serving_and_hup(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    config = LOCAL.replace("[limits]", "[server]\nworkers = 2\n\n[limits]").replace(
        "[ocr_pool]\nworkers = 2\n", "[ocr_pool]\nworkers = 0\n"
    )
    gw = gateway_server_factory(config)
    png = text_png(IMAGE_TEXT)
    with httpx.Client(timeout=60) as client:
        deadline = time.monotonic() + 20
        while len(_children(gw.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(gw.pid)
        assert len(workers) >= 2, workers
        for _ in range(4):
            resp = client.post(gw.url + "/v1/ocr", files={"image": ("a.png", png, "image/png")})
            assert resp.status_code == 200, resp.text
            assert _words(resp.json()["text"]) == _words(IMAGE_TEXT)
        # SIGHUP to the parent replaces the workers, and the service keeps answering.
        os.kill(gw.pid, signal.SIGHUP)
        # (One child, multiprocessing's resource tracker, outlives the workers.)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(set(_children(gw.pid)) - set(workers)) < 2:
            assert client.get(gw.url + "/healthz").status_code == 200
            time.sleep(0.2)
        assert len(set(_children(gw.pid)) - set(workers)) >= 2
        # The new server workers are ready once their OCR pools have a live worker.
        deadline = time.monotonic() + 30
        while client.get(gw.url + "/readyz").status_code != 200:
            assert time.monotonic() < deadline, client.get(gw.url + "/readyz").text
            time.sleep(0.2)


def test_pool_size_is_shared_between_server_workers() -> None:
    from aigateway.config import parse_config
    from aigateway.server.factory import per_worker_settings

    settings = parse_config(LOCAL.replace("workers = 2", "workers = 0"))
    split = per_worker_settings(settings, 2)
    assert split.ocr_pool.workers == max(1, (os.cpu_count() or 1) // 2)
    assert per_worker_settings(settings, 1).ocr_pool.workers == 0
    fixed = parse_config(LOCAL)
    assert per_worker_settings(fixed, 4).ocr_pool.workers == 2
