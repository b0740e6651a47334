"""`orch status --json` to a program joins each row from the text the summaries snapshot keeps of
it (`rowtext`, `statusjson`): always the JSON of the whole view, byte for byte, whether the rows
come from the snapshot, its delta, a rebuild or a file edited in place."""

from __future__ import annotations

import json
import os
from pathlib import Path

from orchestrator import paths, snapcodec, snapshot, statusjson, views
from orchestrator.store import Store
from tests.conftest import Orch


def _same(repo: Path, plan_id: str | None = None) -> str:
    text = statusjson.text(Store(repo), plan_id)
    assert text == json.dumps(views.status_view(Store(repo), plan_id), ensure_ascii=False)
    return text


def _held(repo: Path) -> dict[str, object]:
    state, runtime = str(repo / ".orch"), str(repo / ".git" / "orch")
    data = (Path(paths.worktree_dir(state, runtime)) / snapshot.SUMMARY).read_bytes()
    return snapcodec.decode_rows(data) or {}


def test_the_text_is_the_views_json_from_the_snapshot_its_delta_and_a_rebuild(
    planned: Path, orch: Orch
) -> None:
    os.utime(planned / ".orch" / "tasks")  # a new stamp: the next read saves the snapshots, rows too
    _same(planned)
    assert set(_held(planned)) == {"A", "B", "C", "D"}
    assert orch("start", "A", "--agent", "ag-1")[0] == 0  # in the delta; A bound
    text = _same(planned)
    rows = {row["id"]: row for row in json.loads(text)["tasks"]}
    assert rows["A"]["status"] == "in_progress" and rows["A"]["bound_to"] == "ag-1"
    assert _same(planned, "web") == text
    code, out, _err = orch("status", "--json")
    assert code == 0 and out.strip() == text


def test_a_title_edited_in_place_and_non_ascii_text_are_never_served_from_old_rows(planned: Path) -> None:
    os.utime(planned / ".orch" / "tasks")
    _same(planned)
    path = planned / ".orch" / "tasks" / "C.json"
    task = json.loads(path.read_text())
    path.write_text(json.dumps(task | {"title": "Frontend – «vérifié» \"quoted\" \u2028"}))
    text = _same(planned)
    assert {row["id"]: row["title"] for row in json.loads(text)["tasks"]}["C"].startswith("Frontend – «")
    assert _same(planned) == text  # served from the snapshot saved again, rows made again


def test_reserved_tasks_are_marked_dispatched(planned: Path, orch: Orch) -> None:
    assert orch("dispatch", "A", "--json")[0] == 0
    rows = {row["id"]: row for row in json.loads(_same(planned))["tasks"]}
    assert rows["A"]["dispatched"] is True and rows["B"]["dispatched"] is False
