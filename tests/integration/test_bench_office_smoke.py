"""``bench/office.py`` still runs: tiny files, every row printed with figures (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_office_bench_prints_a_row_per_format() -> None:
    cmd = [sys.executable, str(REPO / "bench" / "office.py"), "--scale", "0.01"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    rows = re.findall(r"^(docx|pptx|xlsx)\s+([\d.]+(?:\s+[\d.]+){6})$", done.stdout, re.M)
    assert [name for name, _ in rows] == ["docx", "pptx", "xlsx"], done.stdout
