"""Which files a spec-kit or Kiro task's sentence names, on sentences taken from real task lists
(spec-kit's own template, a public spec-kit tutorial, a public Kiro spec)."""

from __future__ import annotations

import pytest

from orchestrator.plans.prose import named_paths


@pytest.mark.parametrize(("sentence", "files"), [
    ("Contract test for [endpoint] in tests/contract/test_[name].py", ["tests/contract/test_[name].py"]),
    ("Configure Vite with CORS headers for SharedArrayBuffer in vite.config.js", ["vite.config.js"]),
    ("Implement authentication/authorization framework", []),
    ("Initialize TypeScript project with Vite dependencies in package.json", ["package.json"]),
    ("Add loading indicators for slow operations in src/components/", ["src/components/**"]),
    ("Install drag-drop-touch polyfill (npm install drag-drop-touch) for Node.js", []),
    ("Configure linting in `.eslintrc.json`", [".eslintrc.json"]),
])
def test_files_named_in_real_task_sentences(sentence: str, files: list[str]) -> None:
    assert named_paths(sentence) == files


@pytest.mark.parametrize("sentence", [
    "Observe on UNFIXED code: `role: 'user'` registration navigates to `/user/home`",
    "Wire the page to navigate to /food-partner/dashboard after login",
    "Create WebSocket endpoint `/ws/stream/{symbol}`",
])
def test_a_url_route_is_not_a_file(sentence: str) -> None:
    assert named_paths(sentence) == []


def test_a_file_written_from_the_repo_root_is_still_a_file() -> None:
    assert named_paths("Fix the import in `/src/app.py`") == ["src/app.py"]
