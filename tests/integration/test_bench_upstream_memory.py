"""``bench/upstream_memory.py`` still runs: tiny bodies, real gateway processes, no timing asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_upstream_memory_bench_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "upmem.json"
    cmd = [sys.executable, str(REPO / "bench" / "upstream_memory.py"), "--mb", "4"]
    cmd += ["--cap-mib", "1", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    rows = {(r["gateway"], r["case"]): r for r in result["cases"]}
    # Capped at 1 MiB, 4 MB answers are refused; uncapped they pass.
    assert rows[("capped", "chat JSON, chunked")]["status"] == 502
    assert rows[("capped", "OCR mistral page")]["status"] == 502
    assert rows[("uncapped", "chat JSON, chunked")]["status"] == 200
    assert rows[("uncapped", "OCR mistral page")]["status"] == 200
    assert rows[("capped", "client JSON filler 4 MB")]["status"] == 200
    assert result["filler_full_decode_mb"] > 0
    assert result["sse_cpu"]["full"]["cpu_s"] >= 0
    assert "Gateway peak RSS growth" in done.stdout
