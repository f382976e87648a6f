"""``bench/batch_ocr.py`` still runs, at a tiny size, end to end (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_batch_bench_quick_run_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(REPO / "bench" / "batch_ocr.py"), "--lines", "4", "--scanned"]
    cmd += ["1", "--interactive", "2", "--shares", "0.5", "--size-kb", "100", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (row,) = json.loads(out.read_text())["rows"]
    assert row["batch_status"] == "SUCCESS" and row["batch_succeeded"] == 4
    assert row["one_by_one_docs_per_s"] > 0 and row["batch_lines_per_s"] > 0
    assert row["interactive_p50_ms_idle"] > 0
    assert "batch/1-by-1" in done.stdout
