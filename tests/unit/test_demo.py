"""`orch demo` is the README's first command: it must run to the end and show each beat."""

from __future__ import annotations

import subprocess
import sys


def test_demo_walks_the_example_plan() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.console", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out[-2000:]
    assert "login-api cannot start: it depends on unfinished tasks: tokens (queued)" in out
    assert "deny: orch: src/auth/api.py belongs to task login-api" in out
    assert "deny: orch: src/auth/tokens.py belongs to task tokens (Token service), which another agent" in out
    assert "Parallel wave (independent, disjoint files): tokens, login-ui" in out
    assert "A phantom completion: the docs agent says it is done" in out
    assert "docs changed no file matching its declared output docs/auth/guide.md" in out  # refused
    assert "docs completed." in out  # once the file is written
    assert "Ran 1 test in" in out and "Ran 0 tests" not in out  # the tests gate runs real tests
    assert "`security-tests` is test first" in out
    assert "security-tests is blocked (andon)" in out
    assert "security-tests completed." in out
    assert "OK: " in out and "receipts verify" in out
    for tag in ("auth-start", "auth/design", "auth/backend", "auth/release", "auth-complete"):
        assert tag in out
    assert "docs/reports/auth_summary.md" in out
