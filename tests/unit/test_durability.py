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


def test_a_batch_is_made_durable_by_one_sync_on_linux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(jsonfile.sys, "platform", "linux")
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync"))
    jsonfile.sync_all([str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert calls == ["sync"]


def test_elsewhere_a_batch_syncs_each_file_once_then_each_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where `sync()` may return before the data is on disk: an fsync per file still there, then
    one per folder (which also records the files deleted from it)."""
    (tmp_path / "one").mkdir()
    jsonfile.write_text(tmp_path / "one" / "a.json", "{}", durable=False)
    jsonfile.write_text(tmp_path / "b.json", "{}", durable=False)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(jsonfile.sys, "platform", "darwin")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "sync", lambda: pytest.fail("sync() used where it may not wait"))
    jsonfile.sync_all([str(tmp_path / name) for name in ("one/a.json", "b.json", "gone.json")])
    assert synced == ["file", "file", "folder", "folder"]


def test_a_receipt_appended_for_a_batch_is_not_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator import receipts

    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("a batched receipt was synced on its own"))
    for _ in range(2):
        receipts.append(tmp_path, "T1", event="transition", actor="a", task="T1",
                        data={"from": None, "to": "queued", "note": None}, durable=False)
    assert [r["seq"] for r in receipts.load_chains(tmp_path)["T1"]] == [0, 1]
