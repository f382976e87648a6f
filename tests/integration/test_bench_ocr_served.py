"""``bench/ocr_served.py`` still runs: a second of each lag phase, a few seconds of soak, and
the cold start's first and warm pages.

No timing is asserted: only that the modes ran against real processes and produced figures,
and that the soak saw no wrong answer, no 5xx and no worker restart. The soak needs nginx
(``nginx-light``, as the main bench); without it only the lag mode runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "ocr_served.py"

pytestmark = pytest.mark.slow


def test_lag_mode_produces_three_phases(tmp_path: Path) -> None:
    out = tmp_path / "lag.json"
    cmd = [sys.executable, str(BENCH), "lag", "--seconds", "1", "--busy-pages", "1"]
    cmd += ["--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    for part in ("pool", "served"):
        for phase in ("idle", "busy", "busy_1mib"):
            assert result[part][phase]["n"] > 0, (part, phase)
    assert result["pool"]["mib_sent"] > 0
    assert all(k.endswith(":200") for k in result["served"]["answers"]), result["served"]


def test_soak_mode_runs_clean(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from mock_upstream import find_nginx

    if find_nginx() is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    out = tmp_path / "soak.json"
    cmd = [sys.executable, str(BENCH), "soak", "--minutes", "0.15", "--clients", "3"]
    cmd += ["--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["requests"] > 0
    for kind in ("ocr", "chat", "bad"):
        assert result["kinds"][kind]["wrong"] == 0
        assert result["kinds"][kind]["5xx"] == 0
    assert result["worker_restarts"] == 0
    assert result["rss_mb_end"]["server"] > 0
    assert result["rss_mb_end"]["pool"] > 0


def test_cold_mode_times_first_and_warm_pages(tmp_path: Path) -> None:
    out = tmp_path / "cold.json"
    cmd = [sys.executable, str(BENCH), "cold", "--settle", "0", "--json", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result) == {"clean", "grainy"}
    for kind in result.values():
        assert len(kind["first_s"]) == len(kind["warm_s"]) == 2
        assert kind["ratio"] > 0 and kind["kb"] > 100
    assert "slowest first / slowest warm" in done.stdout
