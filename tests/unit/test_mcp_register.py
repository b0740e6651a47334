"""`orch init --mcp` registers `orch mcp` in the project's .mcp.json beside the user's servers;
`orch uninstall` removes exactly that entry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Orch

THEIRS = {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}}


def test_init_mcp_merges_and_uninstall_removes_only_orch(repo: Path, orch: Orch) -> None:
    (repo / ".mcp.json").write_text(json.dumps({"mcpServers": THEIRS}))
    code, out, err = orch("init", "--mcp")
    assert code == 0, err
    assert "MCP server `orch` registered" in out
    servers = json.loads((repo / ".mcp.json").read_text())["mcpServers"]
    assert servers["github"] == THEIRS["github"]
    assert servers["orch"]["args"][-1] == "mcp" and Path(servers["orch"]["command"]).is_absolute()
    assert orch("init", "--mcp")[0] == 0  # idempotent
    assert list(json.loads((repo / ".mcp.json").read_text())["mcpServers"]) == ["github", "orch"]
    code, out, _err = orch("uninstall")
    assert code == 0 and "Removed the `orch` MCP server" in out
    assert json.loads((repo / ".mcp.json").read_text()) == {"mcpServers": THEIRS}


def test_a_file_orch_made_alone_goes_with_uninstall(repo: Path, orch: Orch) -> None:
    assert orch("init", "--mcp", "--no-hooks")[0] == 0
    assert orch("uninstall")[0] == 0
    assert not (repo / ".mcp.json").exists()


def test_a_users_own_orch_entry_is_left_alone(repo: Path, orch: Orch) -> None:
    mine = {"mcpServers": {"orch": {"command": "my-orch-wrapper"}}}
    (repo / ".mcp.json").write_text(json.dumps(mine))
    assert orch("init")[0] == 0
    assert orch("uninstall")[0] == 0
    assert json.loads((repo / ".mcp.json").read_text()) == mine


def test_a_broken_mcp_json_is_refused_naming_the_file(repo: Path, orch: Orch) -> None:
    (repo / ".mcp.json").write_text("{ nope")
    code, _out, err = orch("init", "--mcp")
    assert code != 0 and ".mcp.json" in err and "not valid JSON" in err


def test_without_a_console_script_the_entry_runs_orch_from_its_own_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.mcp import register

    monkeypatch.setattr(register.os, "access", lambda *_args: False)  # no `orch` beside the interpreter
    found = register.entry()
    assert "-m" not in found["args"] and found["args"][-1] == "mcp"
    done = subprocess.run([found["command"], *found["args"][:-1], "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "orch" in done.stdout.lower(), done.stderr
