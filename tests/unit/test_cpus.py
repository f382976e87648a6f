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


def _member(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "membership"
    path.write_text(text)
    return path


def test_a_services_own_cgroup_counts_not_only_the_root(tmp_path: Path) -> None:
    # systemd's CPUQuota=50% on app.service; the hierarchy's root is unlimited.
    root = tmp_path / "fs"
    (root / "system.slice" / "app.service").mkdir(parents=True)
    _v2(root, "max 100000")
    _v2(root / "system.slice" / "app.service", "50000 100000")
    member = _member(tmp_path, "0::/system.slice/app.service\n")
    assert cpus.quota(root, member) == 0.5
    assert cpus.usable(root, member) == 1


def test_the_tightest_quota_above_the_process_wins(tmp_path: Path) -> None:
    root = tmp_path / "fs"
    (root / "a" / "b").mkdir(parents=True)
    _v2(root / "a", "200000 100000")
    _v2(root / "a" / "b", "max 100000")
    assert cpus.quota(root, _member(tmp_path, "0::/a/b\n")) == 2.0
    _v2(root / "a" / "b", "300000 100000")
    assert cpus.quota(root, _member(tmp_path, "0::/a/b\n")) == 2.0


def test_a_container_sees_its_cgroup_as_the_root_whatever_the_file_names(tmp_path: Path) -> None:
    # cgroup v1 without a cgroup namespace: /proc/self/cgroup names the host's path, while
    # the container's mount shows its own cgroup at the top.
    root = tmp_path / "fs"
    _v1(root, "150000", "100000")
    member = _member(tmp_path, "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    assert cpus.quota(root, member) == 1.5


def test_an_unreadable_membership_file_falls_back_to_the_root(tmp_path: Path) -> None:
    _v2(tmp_path, "100000 100000")
    assert cpus.quota(tmp_path, tmp_path / "missing") == 1.0
    assert cpus.quota(tmp_path, _member(tmp_path, "garbage\n0::/../../etc\n")) == 1.0


def test_usable_is_the_affinity_mask_when_it_is_narrower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 5})
    assert cpus.usable(tmp_path) == 2
    assert cpus.usable(_v2(tmp_path, "max 100000")) == 2
    assert cpus.usable(_v2(tmp_path, "100000 100000")) == 1
