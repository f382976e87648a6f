"""The local OCR engine served as users run it: ``aigateway serve`` (uvloop, httptools) with a
real worker pool, real document sizes, more concurrent requests than workers.

These are the tests that would have caught the pool hanging on any document over a socket
buffer (about 200 KB) sent inline.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from aigateway.ocr.engine.health import STORM_RESTARTS_PER_WORKER

from ..support.docgen import render_text, scanned_pdf
from ..support.server import GatewayProcess
from ..support.sized_docs import sized_document

pytestmark = pytest.mark.slow

POOL_WORKERS = 2
MiB = 1 << 20

SERVED = f"""
[limits]
max_size_upload = {8 * MiB}

[ocr_pool]
workers = {POOL_WORKERS}

[[ocr_models]]
id = "local"
provider = "local"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["local"]
"""

CASES = [
    ("png", 1024, "Tiny png reads one kilobyte"),
    ("jpeg", 100 * 1024, "Jpeg photo of a receipt for coffee"),
    ("pdf", 300 * 1024, "Scanned letter about the garden fence"),
    ("png", 700 * 1024, "Screenshot of a chart legend in blue"),
    ("pdf", MiB + 1, "Contract page with one byte over a mebibyte"),
    ("tiff", 5 * MiB, "Fax cover sheet from the harbour office"),
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def restarts(metrics: str) -> float:
    """The sum of every ``aigw_ocr_worker_restarts_total`` sample (the counter must exist)."""
    samples = re.findall(r"^aigw_ocr_worker_restarts_total(?:\{[^}]*\})? (\S+)$", metrics, re.M)
    assert samples, "aigw_ocr_worker_restarts_total is missing from /metrics"
    return sum(float(s) for s in samples)


def post_document(url: str, data: bytes, media_type: str, transport: str) -> httpx.Response:
    # A generous timeout: the failure this guards against is a hang, not slowness.
    with httpx.Client(timeout=180) as client:
        if transport == "json":
            body = {"document_base64": base64.b64encode(data).decode(), "content_type": media_type}
            return client.post(url + "/v1/ocr", json=body)
        return client.post(url + "/v1/ocr", files={"file": ("doc", data, media_type)})


def test_documents_of_every_size_both_transports_at_once(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED)
    jobs = []
    for fmt, size, text in CASES:
        data, media_type = sized_document(fmt, text, size)
        for transport in ("json", "multipart"):
            jobs.append((f"{fmt}-{size}-{transport}", data, media_type, transport, text))
    assert len(jobs) >= 2 * POOL_WORKERS
    with ThreadPoolExecutor(len(jobs)) as ex:
        futures = [
            (name, text, ex.submit(post_document, gw.url, data, media_type, transport))
            for name, data, media_type, transport, text in jobs
        ]
        answers = [(name, text, f.result()) for name, text, f in futures]
    for name, text, resp in answers:
        assert resp.status_code == 200, (name, resp.text[:500])
        body = resp.json()
        assert words(body["text"]) == words(text), name
        assert body["usage_info"]["pages_processed"] == 1, name
    metrics = httpx.get(gw.url + "/metrics", timeout=10).text
    assert restarts(metrics) == 0, metrics
    assert "exited" not in gw.log()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to grant one")
def test_the_default_pool_sizes_itself_by_the_cores_the_process_may_use(
    gateway_server_factory: Callable[..., GatewayProcess], tmp_path: Path
) -> None:
    """A container pinned to one core (``--cpuset-cpus``, ``taskset``) of a bigger host gets
    one worker, not one per host core, and still reads documents sent above that size."""
    core = min(os.sched_getaffinity(0))
    pinned = tmp_path / "one-core-python"
    pinned.write_text(
        f"#!{sys.executable}\nimport os, sys\nos.sched_setaffinity(0, {{{core}}})\n"
        f"os.execv({sys.executable!r}, [{sys.executable!r}, *sys.argv[1:]])\n"
    )
    pinned.chmod(0o755)
    gw = gateway_server_factory(
        SERVED.replace(f"workers = {POOL_WORKERS}", "workers = 0"), python=str(pinned)
    )
    assert os.sched_getaffinity(gw.pid) == {core}
    pool = httpx.get(gw.url + "/readyz", timeout=10).json()["checks"]["ocr_pool"]
    assert pool["workers"] == 1, pool
    text = "Invoice for the harbour crane repair"
    data, media_type = sized_document("pdf", text, 300 * 1024)
    jobs = [(data, media_type, t) for t in ("json", "multipart", "json")]
    jobs.append((b"%PDF-1.7 truncated" + bytes(200 * 1024), "application/pdf", "multipart"))
    with ThreadPoolExecutor(len(jobs)) as ex:
        answers = list(ex.map(lambda j: post_document(gw.url, *j), jobs))
    for resp in answers[:3]:
        assert resp.status_code == 200, resp.text[:500]
        assert words(resp.json()["text"]) == words(text)
    bad = answers[3]
    assert bad.status_code == 422, bad.text[:500]
    assert bad.json()["error"]["param"] == "document", bad.text[:500]


# --- readiness and shutdown -------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the forkserver, the pool's workers …)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            out.update(kids)
            todo.extend(kids)
    return out


def pool_workers(pid: int) -> set[int]:
    """The OCR workers: children of the server's forkserver."""
    workers: set[int] = set()
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"forkserver" in cmd:
            workers |= descendants(child)
    return workers


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll ``condition``; not reaching it within ``seconds`` is a failure (a hang)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def kill_workers(server_pid: int) -> int:
    """SIGKILL the pool's current workers (waiting for some to exist); returns how many."""
    workers: set[int] = set()

    def found() -> bool:
        workers.update(pool_workers(server_pid))
        return bool(workers)

    wait_until(found, "no OCR worker to kill")
    killed = 0
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    wait_until(lambda: not any(alive(p) for p in workers), "the kill did not land")
    return killed


def test_readyz_follows_the_pool_through_a_restart_storm(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED)
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
        pool = client.get("/readyz").json()["checks"]["ocr_pool"]
        assert pool["status"] == "ready"
        assert pool["workers"] == POOL_WORKERS
        # Kill every worker once it is ready, until the restarts exceed the storm threshold.
        # (Only ready workers: one killed while warming up is a failed start, not a restart.)
        killed = 0
        while killed <= STORM_RESTARTS_PER_WORKER * POOL_WORKERS:
            wait_until(
                lambda: client.get("/readyz").json()["checks"]["ocr_pool"]["alive"] == POOL_WORKERS,
                "the workers were not replaced",
            )
            killed += kill_workers(gw.pid)
        wait_until(
            lambda: client.get("/readyz").json()["checks"]["ocr_pool"]["status"] == "restart storm",
            "no restart storm reported",
        )
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert "restarts in the last" in answer.json()["checks"]["ocr_pool"]["detail"]
        # Still serving: a storm is a signal for the load balancer, not an outage.
        data, media_type = sized_document("png", CASES[0][2], 1024)
        wait_until(lambda: len(pool_workers(gw.pid)) == POOL_WORKERS, "no replacements")
        resp = post_document(gw.url, data, media_type, "multipart")
        assert resp.status_code == 200, resp.text
        counted = restarts(client.get("/metrics").text)
        assert counted >= killed - POOL_WORKERS  # the last round may still be reaping
    assert "Traceback" not in gw.log()


def test_a_page_over_the_task_timeout_is_read_once_and_504_not_to_retry(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    # A page of dense small print, far more than a second's work: the same page times out
    # again, so the gateway must not read it twice (the caller had waited twice the timeout
    # and a second worker was killed) and tells the caller not to retry either.
    gw = gateway_server_factory(SERVED.replace("[ocr_pool]\n", "[ocr_pool]\ntask_timeout = 1\n"))
    page = render_text(" ".join(["dense small print for the timeout"] * 3000), width=3000, size=14)
    buf = io.BytesIO()
    page.save(buf, format="PNG")
    with httpx.Client(base_url=gw.url, timeout=60) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
        resp = client.post("/v1/ocr", files={"file": ("dense.png", buf.getvalue(), "image/png")})
        assert resp.status_code == 504, resp.text[:300]
        assert resp.json()["error"]["code"] == "upstream_timeout"
        assert resp.headers["x-should-retry"] == "false"
        wait_until(lambda: restarts(client.get("/metrics").text) >= 1, "no worker replaced")
        wait_until(
            lambda: client.get("/readyz").json()["checks"]["ocr_pool"]["alive"] == POOL_WORKERS,
            "the worker was not replaced",
        )
        assert restarts(client.get("/metrics").text) == 1  # one reading, one worker killed
        data, media_type = sized_document("png", CASES[0][2], 1024)
        assert post_document(gw.url, data, media_type, "json").status_code == 200
    assert "Traceback" not in gw.log()


def test_a_client_that_hangs_up_stops_its_pending_pages(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    # Twenty scanned pages on two workers, a client that gives up after two seconds: the
    # pages not yet started are dropped at once (before, all twenty were read, for nobody).
    gw = gateway_server_factory(SERVED)
    text = "Page of a long scanned contract that nobody waits for any more. " * 12
    pdf = scanned_pdf([f"{k} {text}" for k in range(20)])

    def waiting(client: httpx.Client) -> float:
        found = re.search(r"^aigw_ocr_tasks_waiting (\S+)$", client.get("/metrics").text, re.M)
        assert found, "aigw_ocr_tasks_waiting is missing from /metrics"
        return float(found.group(1))

    with httpx.Client(base_url=gw.url, timeout=60) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
        files = {"file": ("contract.pdf", pdf, "application/pdf")}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(gw.url + "/v1/ocr", files=files, timeout=httpx.Timeout(60, read=2))
        wait_until(lambda: waiting(client) == 0, "the pages queued were still read", 5)
        wait_until(lambda: '"status":499' in gw.log(), "the hang-up was not logged as 499", 30)
        data, media_type = sized_document("png", CASES[0][2], 1024)
        assert post_document(gw.url, data, media_type, "json").status_code == 200
    assert "Traceback" not in gw.log()


def test_sigterm_with_a_busy_pool_answers_503_and_stops_in_time(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    graceful = 3
    config = SERVED.replace("[limits]", f"[server]\ngraceful_timeout = {graceful}\n\n[limits]")
    gw = gateway_server_factory(config)
    # 40 scanned pages per request, 4 requests for 2 workers: minutes of work queued.
    pdf = scanned_pdf([f"Page {i} of a long scanned report" for i in range(40)])
    with httpx.Client(base_url=gw.url, timeout=30) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
    workers = pool_workers(gw.pid) | descendants(gw.pid)
    with ThreadPoolExecutor(4) as ex:
        calls = [
            ex.submit(post_document, gw.url, pdf, "application/pdf", "multipart") for _ in range(4)
        ]

        def busy() -> bool:
            text = httpx.get(gw.url + "/metrics", timeout=10).text
            running = re.search(r"^aigw_ocr_tasks_running (\S+)$", text, re.M)
            return running is not None and float(running.group(1)) == POOL_WORKERS

        wait_until(busy, "the pool never got busy")
        started = time.monotonic()
        gw.process.send_signal(signal.SIGTERM)
        try:
            gw.process.wait(graceful + 20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {graceful + 20} s after SIGTERM; log:\n{gw.log()[-3000:]}")
        stopped_after = time.monotonic() - started
        answers = [c.result() for c in calls]
    for resp in answers:
        assert resp.status_code == 503, (resp.text[:300], gw.log()[-4000:])
        err = resp.json()["error"]
        assert "stopped" in err["message"] or "shutting down" in err["message"]
        assert resp.headers["retry-after"]
    wait_until(lambda: not any(alive(p) for p in workers), "workers outlived the server", 10)
    # Not a timing assertion on speed: the point is that it stopped at all (it used not to).
    assert stopped_after < graceful + 20


def recogniser_loaded(pid: int) -> bool:
    """Whether worker ``pid`` has the re-reading recogniser's runtime loaded."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read()
    except OSError:
        return False
    return "libopenvino" in maps or "onnxruntime_pybind11_state" in maps


def test_workers_load_the_recogniser_after_ready_before_their_first_page(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    # Readiness waits for Tesseract only; each worker then loads the recogniser that re-reads
    # doubtful words (seconds of CPU) on its own, with no page sent, so no first page pays for
    # it with its task_timeout running. A page sent meanwhile waits in the queue and is read.
    gw = gateway_server_factory(SERVED)
    data, media_type = sized_document("pdf", CASES[2][2], 300 * 1024)
    with httpx.Client(base_url=gw.url, timeout=60) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
        # More pages than workers, both transports, and a broken PDF, all while they warm.
        pool = ThreadPoolExecutor(POOL_WORKERS + 2)
        transports = ["json", "multipart"] * POOL_WORKERS
        early = [
            pool.submit(post_document, gw.url, data, media_type, t)
            for t in transports[: POOL_WORKERS + 1]
        ]
        broken = pool.submit(post_document, gw.url, data[:4096], media_type, "multipart")
        wait_until(
            lambda: client.get("/readyz").json()["checks"]["ocr_pool"]["warming"] == 0,
            "the workers never finished warming",
        )
        assert re.search(r"^aigw_ocr_workers_warming 0(\.0)?$", client.get("/metrics").text, re.M)
        workers = pool_workers(gw.pid)
        assert len(workers) == POOL_WORKERS
        assert all(recogniser_loaded(p) for p in workers)
        for future in early:
            resp = future.result(timeout=180)
            assert resp.status_code == 200, resp.text[:300]
            assert set(words(CASES[2][2])) <= set(words(resp.json()["pages"][0]["markdown"]))
        bad = broken.result(timeout=180)
        assert bad.status_code == 422, bad.text[:300]
        assert bad.json()["error"]["param"] == "document"
        pool.shutdown()
        assert restarts(client.get("/metrics").text) == 0
    assert "Traceback" not in gw.log()


def test_warm_false_leaves_the_recogniser_to_the_first_page_that_needs_it(
    gateway_server_factory: Callable[..., GatewayProcess],
) -> None:
    gw = gateway_server_factory(SERVED.replace("[ocr_pool]\n", "[ocr_pool]\nwarm = false\n"))
    with httpx.Client(base_url=gw.url, timeout=60) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, "never ready")
        wait_until(lambda: len(pool_workers(gw.pid)) == POOL_WORKERS, "no workers")
        time.sleep(3)  # what a warming worker takes to load it, with room to spare
        assert client.get("/readyz").json()["checks"]["ocr_pool"]["warming"] == 0
        assert not any(recogniser_loaded(p) for p in pool_workers(gw.pid))
    assert "Traceback" not in gw.log()
