"""mlc.core.cpus: the CPUs this process may run on, from its affinity and a cgroup quota."""

from __future__ import annotations

import os

import pytest

from mlc.core.cpus import cgroup_quota, usable_cpus


@pytest.mark.parametrize(("files", "quota"), [
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu.max": "150000 100000\n"}, 1.5),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1.0),
    ({}, None),
])
def test_cgroup_quotas_v1_and_v2(tmp_path, files, quota):
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    assert cgroup_quota(tmp_path) == quota


def test_usable_cpus_is_the_affinity_capped_by_the_quota(tmp_path):
    allowed = len(os.sched_getaffinity(0))
    assert usable_cpus(tmp_path) == allowed  # no quota
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU: one thread, not zero
    assert usable_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text(f"{100000 * (allowed + 8)} 100000\n")  # a quota above the affinity
    assert usable_cpus(tmp_path) == allowed
