"""mlc.core.fingerprint: a rewrite of the same size within the same modification time is still a change."""

from __future__ import annotations

import os

from mlc.core.fingerprint import file_stamp, files_digest


def test_a_same_size_rewrite_with_the_same_time_changes_the_stamp(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,labels\nhello,a\n")
    before = file_stamp(path)
    stat = path.stat()
    path.write_text("text,labels\nhellO,a\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = file_stamp(path)
    assert before[:2] == after[:2] and before != after
    assert files_digest([path], tmp_path) == {"data.csv": after[2]}
