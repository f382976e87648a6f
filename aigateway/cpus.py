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


def quota(root: Path = _CGROUP) -> float | None:
    """The CPUs the cgroup's CFS quota grants (quota over period), or ``None`` if unlimited.

    cgroup v2 (``cpu.max``: ``"max 100000"`` or ``"200000 100000"``) first, then v1
    (``cpu/cpu.cfs_quota_us``, -1 when unlimited). Unreadable or malformed files mean no
    limit: a wrong guess here must not shrink the pool to nothing.
    """
    try:
        quota_s, period_s = (root / "cpu.max").read_text().split()[:2]
        if quota_s == "max":
            return None
        return _ratio(int(quota_s), int(period_s))
    except (OSError, ValueError):
        pass
    try:
        q = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        p = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return _ratio(q, p)


def _ratio(q: int, p: int) -> float | None:
    return q / p if q > 0 and p > 0 else None


def usable(root: Path = _CGROUP) -> int:
    """Cores this process may run on: at least 1 (see the module docstring)."""
    count = os.cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        count = min(count, len(os.sched_getaffinity(0)) or count)
    granted = quota(root)
    if granted is not None:
        count = min(count, max(1, math.ceil(granted)))
    return max(1, count)
