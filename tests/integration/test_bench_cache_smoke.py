"""``bench/ocr_cache.py`` still runs: one short turn per variant, on real processes.

No timing is asserted: only that every variant answered all its requests, produced figures, and
that the gateway counted the hits as hits and the misses as misses (its ``/metrics``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CANNOT_RUN = 3

pytestmark = pytest.mark.slow


def test_cache_bench_produces_figures(tmp_path: Path) -> None:
    out = tmp_path / "cache.json"
    cmd = [sys.executable, str(REPO / "bench" / "ocr_cache.py"), "--duration", "1"]
    cmd += ["--rounds", "1", "--sizes", "2048", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode == CANNOT_RUN:
        pytest.skip(f"bench cannot run here: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    rows = {r["variant"]: r for r in result["rows"]}
    assert set(rows) == {"mock", "no cache", "miss", "hit"}
    for row in rows.values():
        assert row["errors"] == 0, row
        assert row["rps"] > 0
    assert "hit/miss rps x" in done.stdout
    counts = result["cache"]["2048"]
    # Every miss-variant request missed (new documents) and the hit variant hit.
    assert counts["miss"] >= rows["miss"]["rps"] * 0.5
    assert counts.get("hit", 0) + counts.get("coalesced", 0) >= rows["hit"]["rps"] * 0.5
