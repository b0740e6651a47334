"""`orch init` tells Claude Code's own sandbox to keep orch's state read-only (a second layer under
the write jail); `orch uninstall` takes exactly that back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Orch


def local_settings(repo: Path) -> dict[str, object]:
    path = repo / ".claude" / "settings.local.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_init_adds_the_state_and_runtime_folders_as_absolute_paths(repo: Path, orch: Orch) -> None:
    assert orch("init")[0] == 0
    deny = local_settings(repo)["sandbox"]["filesystem"]["denyWrite"]  # type: ignore[index]
    assert deny == [f"/{repo.resolve()}/.orch", f"/{repo.resolve()}/.git/orch"]
    assert all(entry.startswith("//") for entry in deny)
    assert "enabled" not in local_settings(repo)["sandbox"]  # type: ignore[operator]


def test_the_users_settings_are_kept_and_init_is_idempotent(repo: Path, orch: Orch) -> None:
    (repo / ".claude").mkdir()
    mine = {"sandbox": {"enabled": True, "filesystem": {"denyWrite": ["//etc"]}}, "model": "x"}
    (repo / ".claude" / "settings.local.json").write_text(json.dumps(mine))
    assert orch("init")[0] == 0 and orch("init")[0] == 0
    settings = local_settings(repo)
    assert settings["model"] == "x" and settings["sandbox"]["enabled"] is True  # type: ignore[index]
    assert len(settings["sandbox"]["filesystem"]["denyWrite"]) == 3  # type: ignore[index]
    assert orch("uninstall")[0] == 0
    assert local_settings(repo) == mine


def test_uninstall_leaves_no_empty_tables_behind(repo: Path, orch: Orch) -> None:
    assert orch("init")[0] == 0
    assert orch("uninstall")[0] == 0
    assert local_settings(repo) == {}


def test_a_malformed_sandbox_table_is_a_clear_error(repo: Path, orch: Orch) -> None:
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.local.json").write_text('{"sandbox": {"filesystem": "no"}}')
    code, _out, err = orch("init")
    assert code != 0 and "settings.local.json" in err and "`filesystem` should be a table" in err
