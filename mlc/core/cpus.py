"""How many CPUs this process may actually run on: its CPU affinity, capped by a cgroup CPU quota (a container, a
Hugging Face Space). `os.cpu_count()` counts every logical CPU of the machine, which oversubscribes there."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(cgroup: Path = CGROUP) -> int:
    """min(the CPUs in this process's affinity mask, the cgroup quota rounded up), at least 1."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota(cgroup)
    return max(1, min(allowed, math.ceil(quota)) if quota else allowed)


def cgroup_quota(cgroup: Path = CGROUP) -> float | None:
    """CPUs granted by the cgroup's CFS quota (v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us); None when
    unlimited or unknown."""
    try:
        fields = (cgroup / "cpu.max").read_text().split()
        if fields and fields[0] != "max":
            return int(fields[0]) / int(fields[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
