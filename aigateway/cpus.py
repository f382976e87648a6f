"""How many CPU cores this process may actually use.

``os.cpu_count()`` is the machine's count. A container or a service manager usually grants
fewer: an affinity mask (``taskset``, Docker's ``--cpuset-cpus``, systemd's ``CPUAffinity``)
or a CFS quota (Docker's ``--cpus``, a Kubernetes CPU limit, systemd's ``CPUQuota``). Sizing
the OCR pool and the recogniser's threads by the machine's count then starts more workers than
there are cores to run them: on a 64-core host with a 2-CPU limit, 64 workers each loading
Tesseract and RapidOCR, throttled by the quota, every page slower than with two.

:func:`usable` is the smallest of the three: the machine's count, the affinity mask's, and the
quota rounded up (1.5 CPUs still leave two cores worth a worker each, at part time).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ("quota", "usable")

_CGROUP = Path("/sys/fs/cgroup")
_MEMBERSHIP = Path("/proc/self/cgroup")


def quota(root: Path = _CGROUP, membership: Path = _MEMBERSHIP) -> float | None:
    """The CPUs the CFS quotas over this process grant (quota over period), or ``None``.

    The process's own cgroup is read from ``membership`` (``/proc/self/cgroup``): a systemd
    service's ``CPUQuota`` sits on ``system.slice/name.service``, not on the hierarchy's root.
    That cgroup and every one above it count, and the tightest wins: cgroup v2's ``cpu.max``
    (``"max 100000"`` or ``"200000 100000"``) under ``root``, v1's ``cpu.cfs_quota_us`` (-1
    when unlimited) under ``root/cpu``. A cgroup missing here (a container sees its own cgroup
    as its hierarchy's root while the file names the host's path) is skipped. Unreadable or
    malformed files mean no limit: a wrong guess here must not shrink the pool to nothing.
    """
    unified, cpu = _paths(membership)
    found = [_v2(d) for d in _upwards(root, unified)]
    found += [_v1(d) for d in _upwards(root / "cpu", cpu)]
    limits = [q for q in found if q is not None]
    return min(limits) if limits else None


def _paths(membership: Path) -> tuple[str, str]:
    """This process's cgroup in the v2 hierarchy and in v1's ``cpu`` controller."""
    unified = cpu = "/"
    try:
        text = membership.read_text()
    except OSError:
        return unified, cpu
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and not parts[1]:
            unified = parts[2]
        elif "cpu" in parts[1].split(","):
            cpu = parts[2]
    return unified, cpu


def _upwards(base: Path, path: str) -> list[Path]:
    """``base/path`` and each directory above it, up to ``base`` itself."""
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    return [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _v2(directory: Path) -> float | None:
    try:
        quota_s, period_s = (directory / "cpu.max").read_text().split()[:2]
        if quota_s == "max":
            return None
        return _ratio(int(quota_s), int(period_s))
    except (OSError, ValueError):
        return None


def _v1(directory: Path) -> float | None:
    try:
        q = int((directory / "cpu.cfs_quota_us").read_text())
        p = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return _ratio(q, p)


def _ratio(q: int, p: int) -> float | None:
    return q / p if q > 0 and p > 0 else None


def usable(root: Path = _CGROUP, membership: Path = _MEMBERSHIP) -> int:
    """Cores this process may run on: at least 1 (see the module docstring)."""
    count = os.cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        count = min(count, len(os.sched_getaffinity(0)) or count)
    granted = quota(root, membership)
    if granted is not None:
        count = min(count, max(1, math.ceil(granted)))
    return max(1, count)
