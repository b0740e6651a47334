"""orch's git-tracked state in `.orch/`: plans, one JSON file per task, config.

Every write happens under one lock (`.orch/.lock`, taken with filelock) and is atomic. Reads
need no lock: a file is always either its old or its new version. A file that does not parse,
or lacks what every task file has, raises a StateError naming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import filelock

from orchestrator import config as config_mod
from orchestrator import paths, snapfiles, snapshot
from orchestrator.errors import InvalidInput, StateError
from orchestrator.fsmonitor import memo
from orchestrator.hooks import index
from orchestrator.jsonfile import read_json, read_json_or, write_json, write_text

SCHEMA = 1
LOCK_TIMEOUT = 30.0
TASK_KEYS = ("id", "title", "status", "plan", "position", "depends_on")
GITIGNORE = "# orch: lock and temp files are never committed\n.lock\n*.tmp\n"


class Store:
    """The `.orch/` folder of one repo."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.dir = Path(paths.state_dir(root))
        self.tasks_dir = self.dir / "tasks"
        self.plans_dir = self.dir / "plans"
        self.config_path = self.dir / "config.json"
        self._changes: dict[str, dict[str, Any] | None] = {}
        self._stamp_before = self._index_before = ""
        self._sizes: dict[str, int | None] = {}
        self._holding = False

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None, *, initialised: bool = True) -> Store:
        """The store of the repo containing `cwd`; refuse outside a git repo or before `orch init`."""
        root = paths.find_root(cwd or os.getcwd())
        if root is None:
            raise InvalidInput("not inside a git repository: run `git init`, then `orch init`")
        store = cls(root)
        if initialised and not store.is_initialised():
            raise InvalidInput(f"orch is not set up in {root}: run `orch init` first")
        return store

    @property
    def runtime(self) -> Path:
        return Path(paths.runtime_dir(self.root))

    def is_initialised(self) -> bool:
        return self.config_path.is_file()

    def create(self) -> bool:
        """Make `.orch/` with a default config. Returns False when it already existed."""
        with self.locked():
            if not (self.dir / ".gitignore").exists():
                write_text(self.dir / ".gitignore", GITIGNORE)
            if self.config_path.exists():
                return False
            write_json(self.config_path, config_mod.DEFAULTS)
            return True

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state lock; every write goes through here."""
        self.dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.dir / ".lock"), timeout=LOCK_TIMEOUT, preserve_lock_file=True)
        try:
            with lock:
                self._begin(self._fingerprint())
                self._holding = True
                try:
                    yield
                finally:
                    self._holding = False
                if self._changes:
                    self._refresh_derived()
        except filelock.Timeout as exc:
            raise StateError(
                f"{self.dir / '.lock'}: another orch process held the state lock for "
                f"{LOCK_TIMEOUT:.0f}s; retry, or check for a stuck process"
            ) from exc

    def _fingerprint(self) -> str:
        """The tasks folder's fingerprint (`snapshot.fingerprint`), remembered in the runtime
        folder while the tasks-folder monitor names no change; from a pass of stats when there is
        no runtime folder (a state folder outside a git repository)."""
        try:
            runtime = str(self.runtime)
        except OSError:
            return snapshot.fingerprint(str(self.dir))
        return snapshot.fingerprint(str(self.dir), runtime)

    # -- config ---------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        raw = read_json_or(self.config_path, {})
        if not isinstance(raw, dict):
            raise StateError(f"{self.config_path}: expected a JSON object. Run `orch doctor`.")
        return config_mod.merged(raw)

    def raw_config(self) -> dict[str, Any]:
        raw = read_json_or(self.config_path, {})
        return raw if isinstance(raw, dict) else {}

    def save_config(self, data: dict[str, Any]) -> None:
        write_json(self.config_path, data)

    # -- plans ----------------------------------------------------------------------------

    def plans(self) -> list[dict[str, Any]]:
        """Every plan's metadata, in the order plans were added."""
        found = []
        for entry in _json_entries(self.plans_dir):
            plan = read_json(Path(entry.path))
            if not isinstance(plan, dict) or "id" not in plan:
                raise StateError(f"{entry.path}: not a plan file (no id). Run `orch doctor`.")
            found.append(plan)
        return sorted(found, key=lambda p: (p.get("order", 0), p["id"]))

    def plan(self, plan_id: str) -> dict[str, Any] | None:
        data = read_json_or(self.plans_dir / f"{plan_id}.json", None)
        return data if isinstance(data, dict) else None

    def save_plan(self, plan: dict[str, Any], source_text: str | None = None) -> None:
        if source_text is not None:
            self.save_plan_source(plan, source_text)
        write_json(self.plans_dir / f"{plan['id']}.json", plan)

    def save_plan_source(self, plan: dict[str, Any], source_text: str) -> None:
        """The plan's source, kept as `<id>.source<suffix of the file it came from>`."""
        suffix = Path(plan.get("source") or "plan.md").suffix or ".md"
        write_text(self.plans_dir / f"{plan['id']}.source{suffix}", source_text)

    def plan_sources(self, plan_id: str) -> list[Path]:
        return sorted(self.plans_dir.glob(f"{plan_id}.source.*"))

    def delete_plan(self, plan_id: str) -> None:
        (self.plans_dir / f"{plan_id}.json").unlink(missing_ok=True)

    # -- tasks ----------------------------------------------------------------------------

    def tasks(self) -> list[dict[str, Any]]:
        """Every task of every plan, in plan order (from the snapshot when it is current)."""
        return self._ordered(snapshot.load(str(self.dir), str(self.runtime)) or self._scan_and_snapshot())

    def summaries(self) -> list[dict[str, Any]]:
        """`snapshot.summary` of every task, in plan order: all the read views need."""
        found = snapshot.load(str(self.dir), str(self.runtime), snapshot.SUMMARY)
        return self._ordered(found if found is not None else
                             [snapshot.summary(t) for t in self._scan_and_snapshot()])

    def summaries_with_rows(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """`summaries`, and the text of their rows of `orch status --json` the snapshot holds,
        by task id (`rowtext`; none after a rebuild, and none of a task the delta changed)."""
        found = snapshot.load_with_rows(str(self.dir), str(self.runtime))
        if found is None:  # stale: made again from the files (no second stamp check)
            return self._ordered([snapshot.summary(t) for t in self._scan_and_snapshot()]), {}
        return self._ordered(found[0]), found[1]

    def _ordered(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        order = {plan["id"]: plan.get("order", 0) for plan in self.plans()}
        if len({task["plan"] for task in tasks}) <= 1:  # one plan: by position (a third of the time)
            return sorted(tasks, key=itemgetter("position"))
        return sorted(tasks, key=lambda t: (order.get(t["plan"], 0), t["plan"], t["position"]))

    def _scan_and_snapshot(self) -> list[dict[str, Any]]:
        return self._resnapshot()[1]

    def _resnapshot(self) -> tuple[str, list[dict[str, Any]]]:
        """(stamp, every task) from the files, with the snapshots made again: from the files that
        changed when the snapshots know their files' stats (`snapfiles`), else from every file."""
        state, runtime = str(self.dir), str(self.runtime)
        refreshed = snapfiles.refresh(state, runtime, self._load_task_stem)
        if refreshed is not None:
            return refreshed
        generation, files = snapfiles.scan(state)
        tasks = [self._load_task_file(Path(e.path)) for e in _json_entries(self.tasks_dir)]
        snapshot.save(state, runtime, generation, tasks, files)
        return generation, tasks

    def _load_task_stem(self, stem: str) -> dict[str, Any]:
        return self._load_task_file(self.tasks_dir / f"{stem}.json")

    def task(self, task_id: str) -> dict[str, Any]:
        path = self.task_path(task_id)
        if not path.is_file():
            raise InvalidInput(f"no task {task_id!r}: `orch status` lists the tasks")
        return self._load_task_file(path)

    def task_or_none(self, task_id: str) -> dict[str, Any] | None:
        path = self.task_path(task_id)
        return self._load_task_file(path) if path.is_file() else None

    def task_path(self, task_id: str) -> Path:
        if not task_id or "/" in task_id or task_id.startswith("."):
            raise InvalidInput(f"invalid task id {task_id!r}")
        return self.tasks_dir / f"{task_id}.json"

    def save_task(self, task: dict[str, Any], *, durable: bool = True) -> None:
        self._note_size(task["id"])
        write_json(self.task_path(task["id"]), task, durable=durable)
        self._changes[task["id"]] = task

    def _begin(self, stamp: str) -> None:
        """Start recording a locked block's task writes, as of the snapshot stamp `stamp`."""
        self._changes, self._sizes, self._stamp_before = {}, {}, stamp
        self._index_before = index.stamp(str(self.dir))

    def _note_size(self, task_id: str) -> None:
        """The size of the task's file before this block first wrote it (None: no file), from
        which `snapshot.advance` derives the new stamp without a stat of every file."""
        if task_id not in self._sizes:
            try:
                self._sizes[task_id] = os.stat(self.task_path(task_id)).st_size
            except FileNotFoundError:
                self._sizes[task_id] = None

    def _refresh_derived(self) -> str:
        """After writing tasks under the lock: bring the snapshot and the hooks' file index up to
        date now, so neither the next read nor the next tool call pays for a full scan. The
        snapshot gains a delta of this block's changes when it was current before the block
        (`snapshot.extend`); the index re-reads only the files that changed (`indexfiles`)."""
        state, before, sizes = str(self.dir), self._stamp_before, self._sizes
        written = {f"{task_id}.json" for task_id in sizes}
        after = memo.moved(state, str(self.runtime), before, written, snapfiles.is_task_file,
                           lambda: snapshot.advance(state, before, sizes))
        if not snapshot.extend(str(self.dir), str(self.runtime), self._stamp_before, self._changes, after):
            after = self._resnapshot()[0]
        index.rebuild(str(self.dir), str(self.runtime), self._index_before, set(self._changes))
        return after

    def flush_derived(self) -> None:
        """Bring the snapshot and the index up to date now, inside a locked block, so that reads
        later in the block (the milestone check after a transition) find them current."""
        if self._changes:
            self._begin(self._refresh_derived())

    def flushed_summaries(self) -> list[dict[str, Any]]:
        """`summaries`; inside a locked block, after `flush_derived`, whose snapshot stamp is known
        (no stat of every task file to check it)."""
        if not self._holding:
            return self.summaries()
        self.flush_derived()
        found = snapshot.load(str(self.dir), str(self.runtime), snapshot.SUMMARY, current=self._stamp_before)
        return self._ordered(found) if found is not None else self.summaries()

    def may_be_parent(self, task_id: str) -> bool:
        """False when no task names `task_id` as its parent, found by a search of the summaries'
        text (no parse of every task), inside a locked block; True when some may (ask `summaries`)."""
        if not self._holding:
            return True
        self.flush_derived()
        found = snapshot.names_parent(str(self.dir), str(self.runtime), task_id, self._stamp_before)
        return found is not False

    def delete_task(self, task_id: str) -> None:
        self._note_size(task_id)
        self.task_path(task_id).unlink(missing_ok=True)
        self._changes[task_id] = None

    def _load_task_file(self, path: Path) -> dict[str, Any]:
        task = read_json(path)
        if not isinstance(task, dict):
            raise StateError(f"{path}: expected a JSON object. Run `orch doctor`.")
        missing = [key for key in TASK_KEYS if key not in task]
        if missing:
            raise StateError(f"{path}: missing {', '.join(missing)}. Run `orch doctor`.")
        if task["id"] != path.stem:
            raise StateError(f"{path}: holds task {task['id']!r}, not {path.stem!r}. Run `orch doctor`.")
        if task.get("schema", SCHEMA) > SCHEMA:
            raise StateError(f"{path}: written by a newer orch (schema {task['schema']}); upgrade orch")
        return task


def _json_entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return [
                e
                for e in entries
                if e.name.endswith(".json")
                and not e.name.startswith(".")
                and not e.name.endswith(".source.json")
            ]
    except FileNotFoundError:
        return []
