"""Durable writes: the file is synced, replaced, and then its folder is synced, so after a power
loss the replace is on disk and no later write (a receipt) can survive without it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator import jsonfile


def test_a_durable_write_syncs_the_file_then_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        synced.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    jsonfile.write_text(tmp_path / "a.json", "{}")
    assert synced == ["file", "replace", "folder"]
    synced.clear()
    jsonfile.write_text(tmp_path / "b.json", "{}", durable=False)
    assert synced == ["replace"]
