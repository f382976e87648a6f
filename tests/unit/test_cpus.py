"""Cores the gateway sizes its OCR pool by: the machine's, the affinity mask's, the quota's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aigateway import cpus


def _v2(root: Path, text: str) -> Path:
    (root / "cpu.max").write_text(text)
    return root


def _v1(root: Path, q: str, p: str) -> Path:
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(q)
    (root / "cpu" / "cpu.cfs_period_us").write_text(p)
    return root


def test_cgroup_v2_quota_is_quota_over_period(tmp_path: Path) -> None:
    assert cpus.quota(_v2(tmp_path, "150000 100000\n")) == 1.5


def test_cgroup_v2_without_a_limit_is_none(tmp_path: Path) -> None:
    assert cpus.quota(_v2(tmp_path, "max 100000\n")) is None


def test_cgroup_v1_quota_and_its_unlimited_marker(tmp_path: Path) -> None:
    assert cpus.quota(_v1(tmp_path / "a", "200000", "100000")) == 2.0
    assert cpus.quota(_v1(tmp_path / "b", "-1", "100000")) is None


@pytest.mark.parametrize("text", ["", "garbage", "0 100000", "100000 0", "-5 100000"])
def test_malformed_or_nonsense_quota_files_mean_no_limit(tmp_path: Path, text: str) -> None:
    assert cpus.quota(_v2(tmp_path, text)) is None


def test_no_cgroup_files_mean_no_limit(tmp_path: Path) -> None:
    assert cpus.quota(tmp_path) is None


def test_usable_rounds_a_fractional_quota_up_and_never_goes_below_one(tmp_path: Path) -> None:
    mask = len(os.sched_getaffinity(0))
    assert cpus.usable(_v2(tmp_path, "150000 100000")) == min(mask, 2)
    assert cpus.usable(_v2(tmp_path, "1000 100000")) == 1


def test_usable_is_the_affinity_mask_when_it_is_narrower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5})
    assert cpus.usable(tmp_path) == 2
    assert cpus.usable(_v2(tmp_path, "max 100000")) == 2
    assert cpus.usable(_v2(tmp_path, "100000 100000")) == 1
