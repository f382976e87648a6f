"""``scripts/serve`` on a fresh checkout: it installs what serving needs and nothing more,
shows pip's progress, says where it listens, and serves.

The checkout is a copy of this tree's files (no ``.venv``); pip installs from the package index
(or its cache) exactly as a newcomer's first run would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
DEV_ONLY = ("pytest", "mypy", "ruff", "hypothesis", "openai", "mistralai", "schemathesis")


def _copy_checkout(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


@pytest.mark.slow
def test_scripts_serve_on_a_fresh_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "aigateway"
    _copy_checkout(checkout)
    assert not (checkout / ".venv").exists()
    port = free_port()
    out = tmp_path / "serve.out"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHON", "AIGATEWAY"))
    }
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            ["scripts/serve", "--port", str(port)],
            cwd=checkout, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while f"listening on http://127.0.0.1:{port}" not in out.read_text(errors="replace"):
            assert proc.poll() is None, out.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, out.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    text = out.read_text(errors="replace")
    # Visible progress: what is being installed, then the environment's size, then the server.
    assert "scripts/serve: installing aigateway" in text
    assert "Installing collected packages" in text or "Successfully installed" in text
    assert "scripts/serve: .venv-serve ready" in text
    listed = subprocess.run(
        [str(checkout / ".venv-serve/bin/python"), "-m", "pip", "list", "--format=json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert "aigateway" in installed and "litestar" in installed
    # The engine the quality table measures: RapidOCR beside Tesseract, models in the wheel.
    assert {"rapidocr", "onnxruntime", "openvino"} <= installed
    assert not installed & set(DEV_ONLY), installed & set(DEV_ONLY)
    assert not (checkout / ".venv").exists()  # the tests' environment is not made to serve
