"""Reports and specialist guidance, rendered from a realistic `.orch/` built in a temporary folder.

The golden files in `tests/unit/golden/` are the reports byte for byte; after a deliberate change
to a template, regenerate them with `ORCH_UPDATE_GOLDEN=1 pytest tests/unit/test_reports.py` and
read the diff before committing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator import graph, mermaid, receipts, reports, specialists
from orchestrator.errors import InvalidInput
from orchestrator.store import Store

GOLDEN = Path(__file__).parent / "golden"
MERMAID_DIR = Path(__file__).parent / "mermaid"
SESSION = "5f1c2e0a-7b7d-4c3e-9a51-0d2f3b8e6c41"
SUBAGENT = "agent:a7f3c9"

SCHEMA_FAIL_TAIL = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0
rootdir: /home/dana/auth-service
configfile: pyproject.toml
collected 9 items

tests/auth/test_models.py ......F..                                      [100%]

=================================== FAILURES ===================================
_____________________ test_refresh_token_stores_sha256_digest _____________________

    def test_refresh_token_stores_sha256_digest(db):
        token = RefreshToken.issue(user_id=1, family_id="f1", raw="s3cret")
>       assert token.digest == hashlib.sha256(b"s3cret").hexdigest()
E       AssertionError: assert 's3cret' == '4e5d1c0b9a...'

tests/auth/test_models.py:57: AssertionError
=========================== short test summary info ============================
FAILED tests/auth/test_models.py::test_refresh_token_stores_sha256_digest - AssertionError
========================= 1 failed, 8 passed in 0.41s =========================="""

SCHEMA_PASS_TAIL = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0
rootdir: /home/dana/auth-service
configfile: pyproject.toml
collected 9 items

tests/auth/test_models.py .........                                      [100%]

============================== 9 passed in 0.38s ==============================="""


TOKENS_OUTPUT = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0 -- /home/dana/auth-service/.venv/bin/python
cachedir: .pytest_cache
rootdir: /home/dana/auth-service
configfile: pyproject.toml
collecting ... collected 14 items

tests/auth/test_tokens.py::test_access_token_has_standard_claims PASSED   [  7%]
tests/auth/test_tokens.py::test_access_token_expires_after_15_minutes PASSED[ 14%]
tests/auth/test_tokens.py::test_expired_access_token_is_rejected PASSED   [ 21%]
tests/auth/test_tokens.py::test_tampered_access_token_is_rejected PASSED  [ 28%]
tests/auth/test_tokens.py::test_refresh_token_is_opaque PASSED            [ 35%]
tests/auth/test_tokens.py::test_refresh_token_is_stored_hashed PASSED     [ 42%]
tests/auth/test_tokens.py::test_rotation_issues_new_pair PASSED           [ 50%]
tests/auth/test_tokens.py::test_rotation_keeps_family_id PASSED           [ 57%]
tests/auth/test_tokens.py::test_replayed_refresh_token_revokes_family FAILED[ 64%]
tests/auth/test_tokens.py::test_revoked_family_rejects_every_token PASSED [ 71%]
tests/auth/test_tokens.py::test_unknown_refresh_token_is_rejected PASSED  [ 78%]
tests/auth/test_tokens.py::test_jti_is_unique PASSED                      [ 85%]
tests/auth/test_tokens.py::test_signing_key_read_from_environment PASSED  [ 92%]
tests/auth/test_tokens.py::test_signing_key_rotation_keeps_old_tokens FAILED[100%]

=================================== FAILURES ===================================
__________________ test_replayed_refresh_token_revokes_family __________________

service = <auth.tokens.TokenService object at 0x7f3a2c1b9d50>

    def test_replayed_refresh_token_revokes_family(service):
        first = service.issue_refresh(user_id="u1")
        second = service.rotate(first)
>       with pytest.raises(TokenReplayed):
E       Failed: DID NOT RAISE <class 'auth.tokens.TokenReplayed'>

tests/auth/test_tokens.py:88: Failed
__________________ test_signing_key_rotation_keeps_old_tokens __________________

service = <auth.tokens.TokenService object at 0x7f3a2c1b9d50>
monkeypatch = <_pytest.monkeypatch.MonkeyPatch object at 0x7f3a2c1ba110>

    def test_signing_key_rotation_keeps_old_tokens(service, monkeypatch):
        old = service.issue_access(user_id="u1")
        monkeypatch.setenv("AUTH_SIGNING_KEYS", "k2,k1")
>       assert service.verify(old).sub == "u1"

tests/auth/test_tokens.py:112:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

self = <auth.tokens.TokenService object at 0x7f3a2c1b9d50>
token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl'

    def verify(self, token: str) -> Claims:
        header = jwt.get_unverified_header(token)
>       key = self._keys[header["kid"]] if "kid" in header else os.environ["AUTH_SIGNING_KEY"]

src/auth/tokens.py:41:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

self = environ({'PATH': '/usr/bin:/bin', 'AUTH_SIGNING_KEYS': 'k2,k1'})
key = 'AUTH_SIGNING_KEY'

    def __getitem__(self, key):
        try:
            value = self._data[self.encodekey(key)]
        except KeyError:
            # raise KeyError with the original key value
>           raise KeyError(key) from None
E           KeyError: 'AUTH_SIGNING_KEY'

/usr/lib/python3.12/os.py:685: KeyError
=========================== short test summary info ============================
FAILED tests/auth/test_tokens.py::test_replayed_refresh_token_revokes_family - Failed: DID NOT RAISE ...
FAILED tests/auth/test_tokens.py::test_signing_key_rotation_keeps_old_tokens - KeyError: 'AUTH_SIGNING_KEY'
========================= 2 failed, 12 passed in 0.84s =========================
"""  # 72 lines, as a failing `pytest -v` prints them; the gate keeps the last 40 as its tail


def gate_result(name: str, command: str, kind: str, *, passed: bool, exit_code: int | None, duration: float,
                started_at: str, tail: str, output_path: str | None = None, output_sha256: str = "",
                summary: dict[str, Any] | None = None, suggestion: str = "") -> dict[str, Any]:
    return {"name": name, "command": command, "kind": kind, "passed": passed, "exit_code": exit_code,
            "timed_out": False, "error": None, "duration": duration, "started_at": started_at,
            "tail": tail, "output_path": output_path,
            "output_sha256": output_sha256 or hashlib.sha256(tail.encode()).hexdigest(),
            "summary": summary or {"ok": passed}, "suggestion": suggestion}


def lint(started_at: str, duration: float) -> dict[str, Any]:
    return gate_result("lint", "ruff check src tests", "ruff", passed=True, exit_code=0, duration=duration,
                       started_at=started_at, tail="All checks passed!", summary={"ok": True, "errors": 0})


def tick(item: int, text: str, evidence: str, at: str, actor: str = SESSION) -> dict[str, Any]:
    """A row of a task's `checks`, as `orch check` records it."""
    return {"item": item, "text": text, "evidence": evidence, "actor": actor, "at": at}


def moved(at: str, actor: str, start: str | None, end: str, note: str | None = None) -> dict[str, Any]:
    return {"at": at, "actor": actor, "from": start, "to": end, "note": note}


def task(task_id: str, title: str, plan: str, position: int, **fields: Any) -> dict[str, Any]:
    added = moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", f"added from plan {plan}")
    return {"schema": 1, "id": task_id, "title": title, "status": "queued", "priority": "medium",
            "specialist": "implementer", "depends_on": [], "files": [], "milestone": None, "estimate": None,
            "steps": [], "acceptance": [], "description": "", "sections": {}, "gates": [], "plan": plan,
            "position": position, "history": [added], "artifacts": [], "gate_results": [], **fields}


def recorded_run(at: str, source: str, outcome: str, exit_code: int, gate: str = "tests") -> dict[str, Any]:
    """A run of a test gate as `testruns.entries` records it."""
    command = "python -m pytest -q" if gate == "tests" else "python -m pytest -v tests/auth/test_tokens.py"
    return {"at": at, "gate": gate, "command": command, "source": source, "outcome": outcome,
            "exit_code": exit_code}


def write_chain(store: Store, chain: str, entries: list[tuple[str, str, str, dict[str, Any]]],
                task_id: str | None) -> None:
    """A receipt chain as `receipts.append` writes it: canonical JSON lines, each naming the last hash."""
    lines, prev = [], "0" * 64
    for seq, (at, actor, event, data) in enumerate(entries, start=1):
        record = {"seq": seq, "prev": prev, "at": at, "chain": chain, "task": task_id, "actor": actor,
                  "event": event, "data": data, "evidence": None}
        record["hash"] = prev = receipts.record_hash(record)
        lines.append(receipts.canonical(record) + b"\n")
    folder = receipts.receipts_dir(store.dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{chain}{receipts.SUFFIX}").write_bytes(b"".join(lines))


def gate_event(name: str, passed: bool, duration: float) -> dict[str, Any]:
    command = "python -m pytest -q" if name == "tests" else "ruff check src tests"
    return {"name": name, "command": command, "passed": passed, "exit_code": 0 if passed else 1,
            "timed_out": False, "duration": duration}


def build_store(root: Path) -> Store:
    """Two plans in mid-flight: designs done, the token service failing its tests, a blocked page."""
    store = Store(root)
    store.create()
    gates = [{"name": "tests", "command": "python -m pytest -q", "kind": "pytest", "timeout": 300}]
    milestones = [{"id": "design", "title": "Design approved"},
                  {"id": "backend", "title": "Backend API complete"},
                  {"id": "release", "title": "Ready to release"}]
    auth_ids = ["arch", "schema", "tokens", "api", "login-page", "security-tests", "guide", "legacy-sessions"]
    store.save_plan({"id": "auth", "title": "Secure authentication", "source": "plans/auth.md",
                     "format": "native", "milestones": milestones, "gates": gates, "order": 1, "schema": 1,
                     "task_ids": auth_ids})
    store.save_plan({"id": "ops", "title": "Delivery pipeline", "source": "plans/ops.json",
                     "format": "subtasks", "milestones": [], "gates": [], "order": 2, "schema": 1,
                     "task_ids": ["ci", "monitoring", "deploy"]})
    for one in auth_tasks(root) + ops_tasks():
        store.save_task(one)
    write_chain(store, "schema", [
        ("2025-03-03T11:42:05Z", SESSION, "transition",
         {"from": "queued", "to": "in_progress", "note": None}),
        ("2025-03-03T12:20:41Z", SESSION, "gate", gate_event("tests", False, 1.204)),
        ("2025-03-03T12:20:41Z", SESSION, "gate", gate_event("lint", True, 0.087)),
        ("2025-03-03T12:51:09Z", SESSION, "gate", gate_event("tests", True, 1.131)),
        ("2025-03-03T12:51:09Z", SESSION, "gate", gate_event("lint", True, 0.091)),
        ("2025-03-03T12:51:10Z", SESSION, "transition",
         {"from": "in_progress", "to": "completed", "note": "gates passed"}),
    ], "schema")
    added = {"tasks": auth_ids, "source": "plans/auth.md", "replace": False}
    write_chain(store, "@plan-auth", [("2025-03-03T09:00:00Z", "user:dana", "plan_added", added)], None)
    return store


def auth_tasks(root: Path) -> list[dict[str, Any]]:
    output = TOKENS_OUTPUT
    log = ".git/orch/gates/tokens/01-token-tests.log"
    (root / log).parent.mkdir(parents=True, exist_ok=True)
    (root / log).write_text(output)
    tokens_tail = "\n".join(output.splitlines()[-40:])
    return [
        task("arch", "Architecture and threat model", "auth", 0, status="completed", priority="high",
             specialist="architect", milestone="design", estimate=3.0,
             files=["docs/auth/architecture.md", "docs/adr/0007-*.md"],
             description="Decide how sessions work after the change and write down what can go wrong.",
             acceptance=["ADR 0007 records the token design and the alternatives rejected",
                         "The threat model covers token theft, replay, credential stuffing and CSRF"],
             artifacts=["docs/auth/architecture.md", "docs/adr/0007-token-design.md"],
             history=[moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", "added from plan auth"),
                      moved("2025-03-03T09:15:00Z", SESSION, "queued", "in_progress"),
                      moved("2025-03-03T11:40:12Z", SESSION, "in_progress", "completed")]),
        task("schema", "Database schema for users and refresh tokens", "auth", 1, status="completed",
             priority="high", milestone="design", estimate=2.0, depends_on=["arch"],
             files=["migrations/0012_auth.sql", "src/auth/models.py"],
             description="Tables for users and rotating refresh tokens.\n\nPasswords use argon2id.",
             acceptance=["The migration applies and rolls back on an empty database",
                         "Passwords are stored as argon2id hashes, refresh tokens as SHA-256 digests",
                         "Refresh tokens have a family id and a revoked flag"],
             checks=[tick(1, "The migration applies and rolls back on an empty database",
                          "tests/auth/test_migrations.py::test_up_down_on_empty_db passes",
                          "2025-03-03T12:49:30Z"),
                     tick(2, "Passwords are stored as argon2id hashes, refresh tokens as SHA-256 digests",
                          "src/auth/models.py: hash_password uses argon2id; "
                          "test_refresh_token_stores_sha256_digest",
                          "2025-03-03T12:50:02Z"),
                     tick(3, "Refresh tokens have a family id and a revoked flag",
                          "migrations/0012_auth.sql: refresh_tokens.family_id, refresh_tokens.revoked",
                          "2025-03-03T12:50:40Z")],
             steps=[{"id": "2.1", "text": "`users` table", "done": True, "notes": []},
                    {"id": "2.2", "text": "`refresh_tokens` table with an index on (user_id, family_id)",
                     "done": True, "notes": ["the index also serves the revoke-family query"]},
                    {"id": "2.3", "text": "Rollback script", "done": True, "notes": []}],
             artifacts=["src/auth/models.py", "migrations/0012_auth.sql"],
             fields={"test_first": True},
             test_runs=[recorded_run("2025-03-03T12:05:12.118+00:00", "Stop", "failed", 1),
                        recorded_run("2025-03-03T12:20:39.512+00:00", "orch gate", "failed", 1),
                        recorded_run("2025-03-03T12:51:07.020+00:00", "orch done", "passed", 0)],
             gate_results=[
                 [gate_result("tests", "python -m pytest -q", "pytest", passed=False, exit_code=1,
                              duration=1.204, started_at="2025-03-03T12:20:39.512+00:00",
                              tail=SCHEMA_FAIL_TAIL,
                              summary={"ok": False, "passed": 8, "failed": 1, "errors": 0},
                              suggestion="fix the 1 failing test shown above, then run orch gate schema"),
                  lint("2025-03-03T12:20:40.716+00:00", 0.087)],
                 [gate_result("tests", "python -m pytest -q", "pytest", passed=True, exit_code=0,
                              duration=1.131, started_at="2025-03-03T12:51:07.020+00:00",
                              tail=SCHEMA_PASS_TAIL,
                              summary={"ok": True, "passed": 9, "failed": 0, "errors": 0}),
                  lint("2025-03-03T12:51:08.151+00:00", 0.091)]],
             history=[moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", "added from plan auth"),
                      moved("2025-03-03T11:42:05Z", SESSION, "queued", "in_progress"),
                      moved("2025-03-03T12:51:10Z", SESSION, "in_progress", "completed", "gates passed")]),
        task("tokens", "Token service", "auth", 2, status="in_progress", priority="critical",
             milestone="backend", estimate=4.0, depends_on=["schema"],
             files=["src/auth/tokens.py", "tests/auth/test_tokens.py"],
             description="Issue, verify and rotate tokens. No HTTP here: the API calls this module.",
             acceptance=["Access tokens expire after 15 minutes",
                         "Replaying a rotated refresh token revokes its whole family"],
             checks=[tick(1, "Access tokens expire after 15 minutes",
                          "test_access_token_expires_after_15_minutes passes", "2025-03-03T14:58:00Z",
                          SUBAGENT)],
             steps=[{"id": "3.1", "text": "Issue and verify access tokens", "done": True, "notes": []},
                    {"id": "3.2", "text": "Rotate refresh tokens", "done": False, "notes": []}],
             artifacts=["src/auth/tokens.py"],
             test_runs=[recorded_run("2025-03-03T15:02:11.301+00:00", "orch gate", "failed", 1,
                                     "token-tests")],
             gate_results=[[
                 gate_result("token-tests", "python -m pytest -v tests/auth/test_tokens.py", "pytest",
                             passed=False, exit_code=1, duration=2.418,
                             started_at="2025-03-03T15:02:11.301+00:00",
                             tail=tokens_tail, output_path=log,
                             output_sha256=hashlib.sha256(output.encode()).hexdigest(),
                             summary={"ok": False, "passed": 12, "failed": 2, "errors": 0},
                             suggestion="fix the 2 failing tests shown above, then run orch gate tokens"),
                 lint("2025-03-03T15:02:13.722+00:00", 0.102)]],
             history=[moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", "added from plan auth"),
                      moved("2025-03-03T13:05:00Z", SUBAGENT, "queued", "in_progress")]),
        task("api", "Login API: POST /auth/login | /auth/refresh", "auth", 3, priority="high",
             milestone="backend", estimate=3.0, depends_on=["tokens"], files=["src/auth/api.py"]),
        task("login-page", 'Login page [mobile + desktop] with "remember me"', "auth", 4, status="blocked",
             milestone="release", estimate=5.0, depends_on=["arch"], files=["web/src/login/**"],
             block_reason="waiting for the design team's login mockups",
             history=[moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", "added from plan auth"),
                      moved("2025-03-03T14:10:00Z", "user:dana", "queued", "blocked",
                            "waiting for the design team's login mockups")]),
        task("security-tests", "Security tests for login and refresh", "auth", 5, specialist="tester",
             milestone="release", estimate=2.0, depends_on=["api", "login-page"],
             files=["tests/security/**"],
             description="Attack the login and refresh flows the way the threat model says attackers will.",
             acceptance=["Ten failed logins in a minute lock the account for 15 minutes",
                         "A replayed refresh token is refused and revokes its family",
                         "The login form rejects a request without the CSRF token"]),
        task("guide", "Integration guide", "auth", 6, specialist="documenter", milestone="release",
             depends_on=["api"], files=["docs/auth/guide.md"]),
        task("legacy-sessions", "Remove cookie sessions", "auth", 7, status="cancelled", priority="low",
             estimate=1.0, history=[moved("2025-03-03T09:00:00Z", "user:dana", None, "queued", "added"),
                                    moved("2025-03-03T10:00:00Z", "user:dana", "queued", "cancelled",
                                          "kept for one more release")]),
    ]


def ops_tasks() -> list[dict[str, Any]]:
    return [
        task("ci", "CI pipeline", "ops", 0, priority="high", estimate=1.5,
             files=[".github/workflows/ci.yml"]),
        task("monitoring", "Login failure alerts", "ops", 1, priority="low", estimate=2.0, specialist="sre",
             files=["ops/alerts/*.yml"]),
        task("deploy", "Deploy the auth service", "ops", 2, priority="high", depends_on=["api", "ci"],
             specialist="Release Manager"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build_store(tmp_path / "repo")


def check_golden(path: Path, name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("ORCH_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(path.read_bytes())
    assert golden.is_file(), f"{golden} is missing: run ORCH_UPDATE_GOLDEN=1 pytest {__file__}"
    assert path.read_bytes() == golden.read_bytes(), f"{path.name} differs from {golden}"


# -- golden reports ---------------------------------------------------------------------------


def test_completed_task_report_matches_golden(store: Store) -> None:
    path = reports.write_task_report(store, "schema", artifacts=["tests/auth/test_models.py"])
    assert path == store.root / "docs/reports/auth_task_schema_database-schema-for-users-and-refresh.md"
    check_golden(path, "auth_task_schema.md")


def test_failing_task_report_matches_golden(store: Store) -> None:
    path = reports.write_task_report(store, "tokens")
    assert path.name == "auth_task_tokens_token-service.md"
    check_golden(path, "auth_task_tokens.md")


def test_andon_report_shows_each_stoppage_with_its_whys_and_fix_task(store: Store) -> None:
    """Tokens stopped twice: a first andon resolved when its gates passed, a second one still open,
    with three whys and the fix task `andon.fix_task` opened for it."""
    tokens = store.task("tokens")
    resolved = {"gate": "lint", "command": "ruff check src tests", "why": "exit code 1",
                "tail": "src/auth/tokens.py:3:1: F401 `os` imported but unused\nFound 1 error.",
                "suggestion": "fix the 1 lint error shown above", "at": "2025-03-03T13:40:00Z",
                "whys": [{"n": 1, "text": "an import left over from a first draft", "actor": SUBAGENT,
                          "at": "2025-03-03T13:41:00Z"}], "resolved_at": "2025-03-03T13:52:00Z"}
    current = {"gate": "token-tests", "command": "python -m pytest -v tests/auth/test_tokens.py",
               "why": "exit code 1", "tail": tokens["gate_results"][-1][0]["tail"],
               "suggestion": "fix the 2 failing tests shown above, then run orch gate tokens",
               "at": "2025-03-03T15:02:14Z", "fix_task": "tokens-fix",
               "whys": [{"n": 1, "text": "rotation does not revoke the family of a replayed token",
                         "actor": SUBAGENT, "at": "2025-03-03T15:05:00Z"},
                        {"n": 2, "text": "the revoke query filters on user_id only", "actor": SUBAGENT,
                         "at": "2025-03-03T15:06:00Z"},
                        {"n": 3, "text": "the schema task's index on (user_id, family_id) was not used",
                         "actor": SUBAGENT, "at": "2025-03-03T15:07:00Z"}]}
    reason = "andon: gate 'token-tests' failed (exit code 1); next: fix the 2 failing tests shown above"
    tokens.update(status="blocked", andon=current, andons=[resolved], block_reason=reason,
                  depends_on=["schema", "tokens-fix"],
                  history=[*tokens["history"],
                           moved("2025-03-03T15:02:14Z", SUBAGENT, "in_progress", "blocked", reason)])
    store.save_task(tokens)
    store.save_task(task("tokens-fix", "Fix gate 'token-tests' failing in tokens", "auth", 8,
                         status="in_progress", files=list(tokens["files"])))
    path = reports.write_task_report(store, "tokens")
    check_golden(path, "auth_task_tokens_andon.md")
    text = path.read_text()
    assert "### 1. Gate lint failed (exit code 1): resolved" in text
    assert "### 2. Gate token-tests failed (exit code 1): open" in text
    assert "- Fix task: tokens-fix (in_progress)" in text
    assert "2. the revoke query filters on user_id only (agent:a7f3c9, 2025-03-03T15:06:00Z)" in text


def test_plan_report_matches_golden(store: Store) -> None:
    path = reports.write_plan_report(store, "auth")
    assert path == store.root / "docs/reports/auth_summary.md"
    check_golden(path, "auth_summary.md")


def test_synthesis_matches_golden(store: Store) -> None:
    reports.write_task_report(store, "schema")
    path = reports.write_synthesis(store)
    assert path == store.root / "docs/reports/synthesis.md"
    check_golden(path, "synthesis.md")


def test_reports_do_not_depend_on_where_or_when_they_are_rendered(tmp_path: Path) -> None:
    first, second = build_store(tmp_path / "one"), build_store(tmp_path / "elsewhere" / "two")
    writers = (lambda s: reports.write_task_report(s, "tokens"),
               lambda s: reports.write_plan_report(s, "auth"), reports.write_synthesis)
    for write in writers:
        assert write(first).read_bytes() == write(second).read_bytes()


# -- task report details ----------------------------------------------------------------------


def test_task_report_shows_the_last_gate_run_with_its_real_output(store: Store) -> None:
    text = reports.write_task_report(store, "schema").read_text()
    assert "Last of 2 gate run(s): 2 of 2 passed" in text
    assert "============================== 9 passed in 0.38s" in text
    assert "1 failed, 8 passed" not in text  # the first, failing run is history
    assert "- [x] Refresh tokens have a family id and a revoked flag" in text
    assert "| 2025-03-03T11:42:05Z by 5f1c2e0a-7b7d-4c3e-9a51-0d2f3b8e6c41 |" in text
    assert "| Time to complete | 1h 09m |" in text


def test_open_task_report_leaves_acceptance_unchecked_and_names_the_full_output(store: Store) -> None:
    text = reports.write_task_report(store, "tokens").read_text()
    assert "- [ ] Replaying a rotated refresh token revokes its whole family" in text
    assert "(trimmed; full output: .git/orch/gates/tokens/01-token-tests.log)" in text
    assert "Next step: fix the 2 failing tests shown above, then run orch gate tokens" in text
    assert "| Time to complete | - |" in text


def test_gate_tail_longer_than_the_limit_is_trimmed_to_its_last_lines(tmp_path: Path) -> None:
    tail = "\n".join(f"line {n}" for n in range(1, 101))
    view = reports._gate_view(tmp_path, gate_result("t", "make test", "plain", passed=True, exit_code=0,
                                                    duration=0.5, started_at="x", tail=tail))
    assert view["trimmed"] and view["output"].splitlines() == [f"line {n}" for n in range(41, 101)]


def test_output_file_of_another_run_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "out.log").write_text("a\nb\nc\nd\n")
    result = gate_result("t", "true", "plain", passed=True, exit_code=0, duration=0.1, started_at="x",
                         tail="c\nd", output_path="out.log", output_sha256="0" * 64)
    assert not reports._gate_view(tmp_path, result)["trimmed"]
    result["output_sha256"] = hashlib.sha256(b"a\nb\nc\nd\n").hexdigest()
    assert reports._gate_view(tmp_path, result)["trimmed"]


def test_output_holding_backticks_gets_a_longer_fence(store: Store) -> None:
    one = store.task("ci")
    one["gate_results"] = [[gate_result("docs", "mdcheck", "plain", passed=False, exit_code=2, duration=0.2,
                                        started_at="x", tail="bad block:\n```python\n\x1b[31mboom\x1b[0m")]]
    store.save_task(one)
    text = reports.write_task_report(store, "ci").read_text()
    assert "````text\nbad block:\n```python\nboom\n````\n" in text


def test_receipts_are_read_defensively(store: Store) -> None:
    text = reports.write_task_report(store, "tokens").read_text()
    assert "No receipt has been recorded for this task." in text
    with (store.dir / "receipts" / "schema.jsonl").open("a") as chain:
        chain.write('{"seq": 5, "hash": "tru\n')
    text = reports.write_task_report(store, "schema").read_text()
    assert "| 6 | 2025-03-03T12:51:10Z | transition | in_progress -> completed: gates passed |" in text
    assert "1 receipt line(s) could not be read: run `orch verify`." in text


def test_slug_is_short_lower_case_and_dashed() -> None:
    title = "Login API: POST /auth/login | /auth/refresh"
    assert reports.slug(title) == "login-api-post-auth-login-auth-refresh"
    assert reports.slug("A" * 60) == "a" * 40
    assert reports.slug("***") == "task"
    assert len(reports.slug("word " * 30)) <= 40


def test_unknown_plan_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="no plan 'nope' \\(plans: auth, ops\\)"):
        reports.write_plan_report(store, "nope")


# -- overrides --------------------------------------------------------------------------------


def test_a_template_in_the_repo_replaces_the_packaged_one(store: Store) -> None:
    folder = store.dir / "templates"
    folder.mkdir()
    (folder / "task_report.md.j2").write_text(
        "{{ task.id }} {{ task.status }}\n"
        "{% for gate in gates %}\n- {{ gate.name }}: {{ gate.outcome }}\n{% endfor %}\n")
    text = reports.write_task_report(store, "tokens").read_text()
    assert text == "tokens in_progress\n- token-tests: failed\n- lint: passed\n"
    plan_text = reports.write_plan_report(store, "auth").read_text()
    assert plan_text.startswith("# Plan summary: Secure authentication")


def test_a_broken_override_names_its_file_and_line(store: Store) -> None:
    folder = store.dir / "templates"
    folder.mkdir()
    (folder / "task_report.md.j2").write_text("# {{ task.id }}\n\n{{ task.nonsense }}\n")
    with pytest.raises(InvalidInput, match=r"templates/task_report\.md\.j2:3: .*nonsense"):
        reports.write_task_report(store, "tokens")
    (folder / "task_report.md.j2").write_text("{% for x in %}\n")
    with pytest.raises(InvalidInput, match=r"task_report\.md\.j2:1: "):
        reports.write_task_report(store, "tokens")


def test_templates_ship_inside_the_package() -> None:
    package = Path(reports.__file__).parent
    names = {p.relative_to(reports.TEMPLATES_DIR).as_posix() for p in reports.TEMPLATES_DIR.rglob("*.j2")}
    assert reports.TEMPLATES_DIR.parent == package
    assert {"task_report.md.j2", "plan_summary.md.j2", "synthesis.md.j2", "specialists/_task.md.j2"} <= names
    assert {f"specialists/{role}.md.j2" for role in specialists.BUILT_IN} <= names


# -- specialists ------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "phrase"), [
    ("architect", "Pin down the interfaces other tasks will build on"),
    ("implementer", "Write only inside the task's files"),
    ("tester", "Write failing tests first, straight from the acceptance list"),
    ("reviewer", "Run the gates yourself with `orch gate tokens`"),
    ("documenter", "Run every command you document and paste its real output"),
])
def test_each_role_gets_the_task_then_its_own_guidance(store: Store, role: str, phrase: str) -> None:
    one = {**store.task("tokens"), "specialist": role}
    text = specialists.guidance(store, one)
    assert text.startswith("# tokens: Token service\n\nPlan `auth` · status in_progress · priority critical")
    assert "- [ ] Replaying a rotated refresh token revokes its whole family" in text
    assert "- `src/auth/tokens.py`" in text
    assert "- schema: Database schema for users and refresh tokens (completed)" in text
    assert f"## How to work as the {role}\n" in text and phrase in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_reviewer_sees_what_the_dependencies_changed(store: Store) -> None:
    text = specialists.guidance(store, {**store.task("tokens"), "specialist": "Reviewer"})
    assert "   - schema: `migrations/0012_auth.sql`, `src/auth/models.py`" in text


def test_tester_guidance_golden(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "guidance.md"
    path.write_text(specialists.guidance(store, store.task("security-tests")))
    check_golden(path, "guidance_security-tests.md")


def test_unknown_role_gets_the_implementer_guidance_and_is_named(store: Store) -> None:
    text = specialists.guidance(store, store.task("deploy"))
    assert "role release-manager" in text
    assert "orch has no guidance for the role 'release-manager': follow the implementer's." in text
    assert "## How to work as the implementer" in text
    assert "- api: Login API: POST /auth/login | /auth/refresh (queued)" in text


def test_a_repo_role_file_adds_a_role_and_can_extend_a_built_in_one(store: Store) -> None:
    folder = store.dir / "specialists"
    folder.mkdir()
    (folder / "sre.md").write_text("## How to work as the SRE\n\nAlert on {{ task.files | join(', ') }}.\n")
    (folder / "tester.md").write_text("{{ builtin }}\nAlso: run `make e2e` against staging.\n")
    (folder / "not a role.md").write_text("ignored")
    assert specialists.roles(store) == [*specialists.BUILT_IN, "sre"]
    sre = specialists.guidance(store, store.task("monitoring"))
    assert sre.endswith("## How to work as the SRE\n\nAlert on ops/alerts/*.yml.\n")
    assert "implementer" not in sre
    tester = specialists.guidance(store, store.task("security-tests"))
    assert "Write failing tests first" in tester
    assert tester.endswith("Also: run `make e2e` against staging.\n")


def test_a_plain_markdown_role_file_replaces_the_built_in_guidance(store: Store) -> None:
    folder = store.dir / "specialists"
    folder.mkdir()
    rules = "## Docs house rules\n\nEverything goes in `docs/`, in British English.\n"
    (folder / "documenter.md").write_text(rules)
    text = specialists.guidance(store, store.task("guide"))
    assert text.endswith(rules)
    assert "How to work as the documenter" not in text


def test_a_broken_role_file_names_its_file_and_line(store: Store) -> None:
    folder = store.dir / "specialists"
    folder.mkdir()
    (folder / "sre.md").write_text("fine\n{{ task.oops }}\n")
    with pytest.raises(InvalidInput, match=r"specialists/sre\.md:2: .*oops"):
        specialists.guidance(store, store.task("monitoring"))


def test_roles_without_a_repo_folder_are_the_built_in_ones(store: Store) -> None:
    assert specialists.roles(store) == list(specialists.BUILT_IN)


# -- Mermaid ----------------------------------------------------------------------------------

_NODE = re.compile(r'    (t\d+)\["([^"\[\]]*)"\]:::(\w+)')
_EDGE = re.compile(r"    (t\d+) (-->|==>) (t\d+)")
_CLASS = re.compile(r"    classDef (\w+) \S+")


def mermaid_structure_problems(text: str) -> list[str]:
    """What is wrong with a graph from `mermaid.dependency_graph`, judged line by line."""
    lines = text.splitlines()
    problems = [] if lines[:1] == ["flowchart TD"] else ["first line is not `flowchart TD`"]
    nodes: list[str] = []
    used, defined, edges = set(), set(), []
    for line in lines[1:]:
        if node := _NODE.fullmatch(line):
            nodes.append(node[1])
            used.add(node[3])
        elif edge := _EDGE.fullmatch(line):
            edges.append((edge[1], edge[3]))
        elif css := _CLASS.fullmatch(line):
            defined.add(css[1])
        else:
            problems.append(f"unexpected line {line!r}")
    problems += [f"node {n} declared twice" for n in sorted({n for n in nodes if nodes.count(n) > 1})]
    problems += [f"edge {a} -> {b} names an undeclared node" for a, b in edges if {a, b} - set(nodes)]
    problems += [f"class {name} used but not defined" for name in sorted(used - defined)]
    return problems


def auth_graph(store: Store) -> str:
    tasks = [t for t in store.tasks() if t["plan"] == "auth"]
    return mermaid.dependency_graph(tasks, graph.critical_path(tasks)[0])


def test_dependency_graph_is_structurally_sound(store: Store) -> None:
    text = auth_graph(store)
    assert mermaid_structure_problems(text) == []
    assert '["login-page: Login page (mobile + desktop) with #quot;remember me#quot; (blocked)"]' in text
    assert "==>" in text  # the critical path is drawn


def test_structure_check_catches_what_it_claims_to() -> None:
    bad = "\n    ".join(["flowchart TD", 't0["a"]:::queued', 't0["a"]:::done', "t0 --> t9",
                        "classDef queued fill:#fff"])
    assert mermaid_structure_problems(bad) == [
        "node t0 declared twice", "edge t0 -> t9 names an undeclared node", "class done used but not defined"]


def mermaid_parse(text: str) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        pytest.skip(f"Mermaid's parser is not installed: run `npm ci --prefix {MERMAID_DIR}`")
    return subprocess.run([node, str(MERMAID_DIR / "mermaid_check.mjs")], input=text, capture_output=True,
                          text=True, timeout=60, check=False)


def test_dependency_graph_parses_with_mermaid(store: Store) -> None:
    result = mermaid_parse(auth_graph(store))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"ok": True, "diagramType": "flowchart-v2"}


def test_mermaid_parser_rejects_a_broken_graph() -> None:
    result = mermaid_parse('flowchart TD\n    t0["a "quoted" label"] --> t1\n')
    assert result.returncode == 1 and json.loads(result.stdout)["ok"] is False
