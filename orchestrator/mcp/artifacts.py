"""`orchestrator_complete_subtask`'s `detailed_work`: a Markdown file of the task in the repo
(`docs/artifacts/<plan>/<task>.md`, where the reports and the synthesis find it), recorded with
the caller's `file_paths` among the task's artifacts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestrator import paths, reports
from orchestrator.jsonfile import write_text
from orchestrator.runtime import now_iso
from orchestrator.store import Store

ARTIFACTS_DIR = Path("docs", "artifacts")


def store_work(store: Store, task: dict[str, Any], actor: str, summary: str, work: str,
               file_paths: list[str], artifact_type: str) -> dict[str, Any]:
    rel = (ARTIFACTS_DIR / task["plan"] / f"{task['id']}.md").as_posix()
    files = [p for p in (paths.repo_relative(store.root, f, os.fspath(store.root)) for f in file_paths) if p]
    text = reports.render_string("mcp_artifact.md.j2", store=store, task=task, caller=actor, at=now_iso(),
                                 summary=summary, detailed_work=work.rstrip(), file_paths=files,
                                 artifact_type=artifact_type)
    target = store.root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, text)
    _record(store, task["id"], [rel, *files])
    return {"artifact_id": f"{task['id']}-work", "summary": summary, "artifact_type": artifact_type,
            "accessible_via": rel, "files": files, "detailed_work_length": len(work)}


def _record(store: Store, task_id: str, rels: list[str]) -> None:
    with store.locked():
        task = store.task(task_id)
        known = task.setdefault("artifacts", [])
        known.extend(r for r in dict.fromkeys(rels) if r not in known)
        store.save_task(task)
