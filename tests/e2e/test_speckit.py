"""A spec-kit task list (`specs/NNN-feature/tasks.md`, as `/speckit.tasks` writes it) loads as it
is through the plugin's `/orch:plan` in the real Claude Code CLI, and `/orch:next` then offers
the Setup tasks only: spec-kit's phase order is orch's dependency graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from claude import REPO_ROOT, ClaudeRun
from commandfix import Model, PluginData, claude_env_extra, json_after, script_orch_calls
from fakeapi import FakeAPI, Script, last_user_text, text
from orchfix import task_row

pytestmark = pytest.mark.both_versions  # on the pinned Claude Code and on the newest

TASKS_MD = """# Tasks: Photo Albums

**Input**: Design documents from `/specs/001-photo-albums/`
**Prerequisites**: plan.md (required), spec.md

## Phase 1: Setup (Shared Infrastructure)

- [ ] T001 [P] Create the project structure in src/
- [ ] T002 [P] Initialize the TypeScript project in package.json
- [ ] T003 [P] Configure linting in `.eslintrc.json`

## Phase 2: Foundational (Blocking Prerequisites)

- [ ] T004 Set up the SQLite schema in src/db/schema.ts
- [ ] T005 [P] Implement the storage adapter in src/storage/adapter.ts

**Checkpoint**: Foundation ready

## Phase 3: User Story 1 - Create albums (Priority: P1)

- [ ] T006 [P] [US1] Album model in src/models/album.ts
- [ ] T007 [US1] Album service in src/services/albums.ts (depends on T006)

## Phase 4: Polish & Cross-Cutting Concerns

- [ ] T008 [P] Documentation updates in docs/albums.md

## Dependencies & Execution Order

- Setup first, then Foundational, then the stories, then Polish.
"""


def test_a_speckit_task_list_is_a_binding_plan(
    plugin: PluginData, claude_run: ClaudeRun, fakeapi: FakeAPI, git_repo: Path
) -> None:
    tasks_md = git_repo / "specs" / "001-photo-albums" / "tasks.md"
    tasks_md.parent.mkdir(parents=True)
    tasks_md.write_text(TASKS_MD)
    model = Model()
    tasks = "specs/001-photo-albums/tasks.md"
    calls = [("init", "init", "--no-hooks"), ("convert", "plan", "convert", tasks),
             ("add", "plan", "add", tasks)]
    fakeapi.script = script_orch_calls(model, *calls, final="Plan loaded.")
    claude_run("/orch:plan specs/001-photo-albums/tasks.md", plugin_dir=REPO_ROOT, env=claude_env_extra())
    for key in ("init", "convert", "add"):
        assert not fakeapi.tool_result_is_error(model.id(key)), fakeapi.tool_result_text(model.id(key))
    assert task_row(git_repo, "T004")["status"] == "queued"

    seen = len(fakeapi.message_requests())
    fakeapi.script = Script().main([text("Next shown.")])
    claude_run("/orch:next", plugin_dir=REPO_ROOT, env=claude_env_extra())
    shown = last_user_text(fakeapi.message_requests()[seen].body or {})
    ready = json_after(shown, "Ready work:")
    assert [t["id"] for t in ready["ready"]] == ["T001", "T002", "T003"], ready
    assert sorted(ready.get("wave", [])) == ["T001", "T002", "T003"], ready
