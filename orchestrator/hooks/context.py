"""What a hook knows about the repo it runs in, loaded lazily and cheaply (stdlib only)."""

from __future__ import annotations

import os

from orchestrator import config as config_mod
from orchestrator import paths
from orchestrator.jsonfile import read_json_or
from orchestrator.runtime import Runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from orchestrator.hooks.payload import Payload


class Context:
    """The repo of a hook call: root, `.orch/`, runtime, config and the caller's bound task."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.state_dir = paths.state_dir(root)
        self.runtime = Runtime(paths.runtime_dir(root))
        self._config: dict[str, Any] | None = None
        self._bound: dict[str, tuple[str, dict[str, Any]] | None] = {}

    @classmethod
    def find(cls, payload: Payload) -> Context | None:
        """The context of the orch repository the call works in: the one enclosing its `cwd`,
        else the one enclosing the file a Write/Edit names; None when orch is not set up there.
        A repository whose config is missing or corrupt still counts (its state is protected)."""
        start = payload.cwd or os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
        root = paths.find_orch_root(start)
        written = payload.written_file()
        if root is None and written:
            root = paths.find_orch_root(os.path.dirname(os.path.join(start, written)))
        return cls(root) if root is not None else None

    def guarded_for(self, path: str) -> tuple[str, ...]:
        """Protected folders for a written `path` (real): this repo's, plus those of another orch
        repository enclosing the path (a Bash command in one repo writing into another)."""
        own = self.protected_folders()
        other = paths.find_orch_root(os.path.dirname(path))
        if other is None or os.path.realpath(other) == os.path.realpath(self.root):
            return own
        return own + Context(other).protected_folders()

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            raw = read_json_or(os.path.join(self.state_dir, "config.json"), {})
            self._config = config_mod.merged(raw if isinstance(raw, dict) else {})
        return self._config

    def protected_folders(self) -> tuple[str, ...]:
        """orch's state and the runtime folder, real paths: never writable by an agent."""
        return (os.path.realpath(self.state_dir), os.path.realpath(self.runtime.dir))

    def lease_ttl(self) -> float:
        return config_mod.lease_ttl(self.config)

    def policy(self, name: str) -> bool:
        return bool(self.config.get("policy", {}).get(name))

    def task(self, task_id: str) -> dict[str, Any] | None:
        data = read_json_or(os.path.join(self.state_dir, "tasks", f"{task_id}.json"), None)
        return data if isinstance(data, dict) else None

    def bound_task(self, caller: str) -> dict[str, Any] | None:
        found = self.binding_of(caller)
        return self.task(found[0]) if found else None

    def binding_of(self, caller: str) -> tuple[str, dict[str, Any]] | None:
        """The caller's (task id, binding), read once per hook call."""
        if caller not in self._bound:
            self._bound[caller] = self.runtime.binding_of(caller) if caller else None
        return self._bound[caller]

    def unfinished_dependencies(self, task: dict[str, Any]) -> list[str]:
        """`dep (status)` for each dependency of `task` that is not completed."""
        result = []
        for dep in task.get("depends_on", []):
            other = self.task(dep)
            status = other.get("status", "?") if other else "missing"
            if status != "completed":
                result.append(f"{dep} ({status})")
        return result

    def relative(self, path: str, cwd: str) -> str | None:
        """`path` (absolute or relative to `cwd`) as a normalised path relative to the repo root,
        symlinks resolved; None when it lies outside the repo."""
        return paths.repo_relative(self.root, path, cwd or self.root)
