"""`orch board` over HTTP on a real repository made with the CLI: the JSON of /api/board, the
answers to bad requests, the loopback default, the token rule, cross-origin refusal, the security
headers, server-sent events on a change, the opt-in actions, and the static export."""

from __future__ import annotations

import getpass
import http.client
import json
import re
import time
from pathlib import Path

import pytest

from orchestrator.board import live
from orchestrator.store import Store
from tests.conftest import Orch
from tests.unit.board_server import XSS_PLAN, running

TOKEN = "s3cret-token-for-the-tests"


def _board(repo: Path, **options: object) -> dict[str, object]:
    with running(repo, **options) as board:  # type: ignore[arg-type]
        status, _headers, body = board.request("/api/board")
    assert status == 200, body
    return json.loads(body)


def test_api_board_has_every_task_with_its_card(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--brief")[0] == 0
    (planned / "docs").mkdir()
    assert orch("lock", "docs/design.md")[0] == 0
    data = _board(planned)
    cards = {t["id"]: t for t in data["tasks"]}  # type: ignore[attr-defined, union-attr]
    assert list(cards) == ["A", "B", "C", "D"]
    assert cards["A"]["status"] == "in_progress" and cards["A"]["holder"] == f"user:{getpass.getuser()}"
    assert cards["A"]["leases"] == ["docs/design.md"] and cards["A"]["priority"] == "high"
    assert cards["B"]["depends_on"] == ["A"] and cards["B"]["holder"] is None
    assert data["statuses"][0] == "queued" and "cancelled" in data["statuses"]  # type: ignore[index]
    assert data["critical_path"]["tasks"][0] == "A"  # type: ignore[index]
    assert data["plans"] == [{"id": "web", "title": "Web feature"}]
    events = [row["summary"] for row in data["timeline"]]  # type: ignore[attr-defined, union-attr]
    started, added = events.index("queued -> in_progress"), events.index("new -> queued: added from plan web")
    assert events.index("tag web-start") < started < added  # newest first, within a second too
    assert any(event.startswith("web-start at ") for event in events)  # the git tag itself
    assert data["metrics"] is None and data["actions"] is False


def test_untrusted_titles_come_back_as_data(repo: Path, orch: Orch) -> None:
    (repo / "xss.md").write_text(XSS_PLAN)
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "xss.md")[0] == 0
    data = _board(repo)
    titles = [t["title"] for t in data["tasks"]]  # type: ignore[attr-defined, union-attr]
    assert titles == ["<img src=x onerror=alert(1)>", '"]) click a href "javascript:alert(2)"',
                      "<script>alert(3)</script>"]
    assert data["milestones"][0]["title"] == "<b>bold</b> milestone"  # type: ignore[index]


def test_unknown_paths_are_404_and_bad_input_400_without_a_traceback(planned: Path) -> None:
    with running(planned) as board:
        for path in ("/nope", "/api/nope", "/static/../../etc/passwd", "/api/board/x"):
            status, headers, body = board.request(path)
            assert status == 404 and json.loads(body) == {"error": "not found"}, path
        status, _h, body = board.request("/api/board?plan=nope")
        assert status == 400 and "no plan 'nope'" in json.loads(body)["error"]
        status, _h, body = board.request("/api/board?color=red")
        assert status == 400 and "unknown parameter" in json.loads(body)["error"]
        assert board.request("/api/board", "POST", body=b"{}")[0] == 405
        assert board.request("/api/actions", "POST", body=b"{}")[0] == 404  # no actions unless allowed
        assert all(b"Traceback" not in board.request(p)[2] for p in ("/nope", "/api/board?plan=x"))


def test_filter_by_plan_on_the_server(planned: Path) -> None:
    data = _board(planned)
    with running(planned) as board:
        status, _h, body = board.request("/api/board?plan=web")
    assert status == 200 and json.loads(body)["tasks"] == data["tasks"]


def test_loopback_by_default_and_other_host_names_refused(planned: Path) -> None:
    with running(planned) as board:
        assert board.url.startswith("http://127.0.0.1:")
        status, _h, body = board.request("/api/board", headers={"Host": f"evil.example:{board.port}"})
        assert status == 403 and "answers for" in json.loads(body)["error"]
        assert board.request("/", headers={"Host": f"localhost:{board.port}"})[0] == 200


def test_a_host_beyond_loopback_needs_a_token(planned: Path, orch: Orch) -> None:
    code, out, err = orch("board", "--host", "0.0.0.0", "--no-open")
    assert code == 2 and "--token" in err and out == ""
    code, _out, err = orch("board", "--host", "0.0.0.0", "--token", "short", "--no-open")
    assert code == 2 and "at least 16" in err


def test_with_a_token_every_request_carries_it(planned: Path) -> None:
    with running(planned, token=TOKEN) as board:
        assert board.url.endswith(f"/?token={TOKEN}")
        for path in ("/", "/board.js", "/api/board", "/api/events", "/nope"):
            assert board.request(path)[0] == 401, path
        assert board.request("/api/board?token=wrong-token-wrong-token")[0] == 401
        status, headers, _body = board.request(f"/?token={TOKEN}")
        assert status == 200
        assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        cookie = headers["set-cookie"].split(";")[0]
        assert board.request("/board.js", headers={"Cookie": cookie})[0] == 200
        assert board.request("/api/board", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_the_api_refuses_cross_origin_use(planned: Path) -> None:
    with running(planned) as board:
        own = f"http://127.0.0.1:{board.port}"
        assert board.request("/api/board", headers={"Origin": "http://evil.example"})[0] == 403
        assert board.request("/api/board", headers={"Origin": "null"})[0] == 403
        assert board.request("/api/events", headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
        assert board.request("/api/board", headers={"Origin": own, "Sec-Fetch-Site": "same-origin"})[0] == 200
        status, headers, _body = board.request("/api/board")
        assert not any(name.startswith("access-control-") for name in headers)


def test_every_answer_sends_a_strict_content_security_policy(planned: Path) -> None:
    with running(planned) as board:
        for path in ("/", "/board.js", "/api/board", "/nope"):
            status, headers, body = board.request(path)
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp and "http" not in csp
            assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        page = board.request("/")[2].decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", page) and "http://" not in page and "https://" not in page


def _next_event(response: http.client.HTTPResponse, deadline: float) -> str:
    lines = []
    while time.monotonic() < deadline:
        line = response.readline().decode().rstrip("\r\n")
        if line.startswith("data:"):
            return line[5:].strip()
        lines.append(line)
    raise AssertionError(f"no event before the deadline: {lines}")


def test_events_announce_a_change_within_two_seconds(planned: Path, orch: Orch) -> None:
    with running(planned) as board:
        conn = http.client.HTTPConnection(board.host, board.port, timeout=5)
        conn.request("GET", "/api/events")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("content-type", "").startswith("text/event-stream")
        first = _next_event(response, time.monotonic() + 3)
        time.sleep(0.1)
        assert orch("start", "A", "--brief")[0] == 0
        began = time.monotonic()
        changed = _next_event(response, began + 2)
        while changed == first:
            changed = _next_event(response, began + 2)
        assert time.monotonic() - began < 2
        conn.close()


def test_the_stamp_moves_with_tasks_leases_and_plans(planned: Path, orch: Orch) -> None:
    store = Store(planned)
    before = live.stamp(store)
    assert orch("start", "A", "--brief")[0] == 0
    started = live.stamp(store)
    assert started != before
    (planned / "docs").mkdir()
    assert orch("lock", "docs/design.md")[0] == 0
    assert live.stamp(store) != started
    assert not live.settled(f"{time.time_ns()}:0") and live.settled("0:0")


def test_actions_only_when_allowed_and_through_the_cli_rules(planned: Path, orch: Orch) -> None:
    json_type = {"Content-Type": "application/json"}
    with running(planned, allow_actions=True) as board:
        token = board.url.split("?token=")[1]  # made for it: actions always need a token
        assert board.request("/api/actions", "POST", json_type, b"{}")[0] == 401

        def post(body: object, headers: dict[str, str] = json_type) -> tuple[int, dict[str, object]]:
            headers = {**headers, "Authorization": f"Bearer {token}"}
            status, _h, raw = board.request("/api/actions", "POST", headers, json.dumps(body).encode())
            return status, json.loads(raw)

        assert post({"verb": "start", "task": "B"})[0] == 409  # A is not completed
        status, answer = post({"verb": "start", "task": "A"})
        assert status == 200 and answer == {"task": "A", "status": "in_progress",
                                            "actor": f"user:{getpass.getuser()}"}
        assert post({"verb": "rm", "task": "A"})[0] == 400
        assert post({"verb": "block", "task": "A", "reason": 3})[0] == 400
        assert post({"verb": "start", "task": "A"}, {"Content-Type": "text/plain"})[0] == 400
        assert post({"verb": "move", "task": "A", "status": "review"},
                    {**json_type, "Origin": "http://evil.example"})[0] == 403
        assert post(["not", "an", "object"])[0] == 400
        bearer = {"Authorization": f"Bearer {token}"}
        assert json.loads(board.request("/api/board", headers=bearer)[2])["actions"] is True
    code, out, _err = orch("log", "--task", "A", "--json")
    actors = [e["actor"] for e in json.loads(out)["events"] if e["event"] == "transition"]
    assert actors[-1] == f"user:{getpass.getuser()}"
    assert orch("verify")[0] == 0


def test_export_writes_the_page_and_its_data(planned: Path, orch: Orch, tmp_path: Path) -> None:
    out_dir = tmp_path / "artifact"
    code, out, err = orch("board", "--export", str(out_dir))
    assert code == 0, err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["board-data.js", "board.css", "board.js", "board.json", "graph.js", "index.html"]
    data = json.loads((out_dir / "board.json").read_text())
    assert [t["id"] for t in data["tasks"]] == ["A", "B", "C", "D"] and data["exported_at"]
    script = (out_dir / "board-data.js").read_text()
    assert script.startswith("window.ORCH_BOARD_DATA = {") and script.isascii()


@pytest.mark.parametrize("title", ["</script><script>alert(1)</script>", "\u2028<!--"])
def test_export_keeps_hostile_titles_inside_the_data(repo: Path, orch: Orch, tmp_path: Path,
                                                     title: str) -> None:
    (repo / "p.md").write_text(f"---\nid: p\ntitle: P\n---\n## T1: x {title}\n")
    assert orch("init", "--no-hooks")[0] == 0
    assert orch("plan", "add", "p.md")[0] == 0
    assert orch("board", "--export", str(tmp_path / "out"))[0] == 0
    script = (tmp_path / "out" / "board-data.js").read_text()
    data = json.loads(script[len("window.ORCH_BOARD_DATA = "):].rstrip().rstrip(";"))
    assert title.strip() in data["tasks"][0]["title"] and "\u2028" not in script


def test_holders_and_leases_follow_the_runtime_while_tasks_stay(planned: Path, orch: Orch) -> None:
    assert orch("start", "A", "--brief")[0] == 0
    with running(planned) as board:
        before = json.loads(board.request("/api/board")[2])
        assert before["tasks"][0]["leases"] == []
        (planned / "docs").mkdir()
        assert orch("lock", "docs/design.md")[0] == 0
        time.sleep(0.06)
        after = json.loads(board.request("/api/board")[2])
    assert after["tasks"][0]["leases"] == ["docs/design.md"] and after["stamp"] != before["stamp"]
    assert after["tasks"][0]["holder"] == before["tasks"][0]["holder"] is not None


def test_metrics_once_a_task_is_measured(planned: Path, orch: Orch) -> None:
    from tests.conftest import write_output

    assert orch("start", "A", "--brief")[0] == 0
    write_output(planned, "docs/design.md")
    code, _out, err = orch("move", "A", "completed")
    assert code == 0, err
    data = _board(planned)
    assert data["metrics"]["aggregate"]["measured"] == 1  # type: ignore[index]
    assert data["milestones"] == []


def test_beyond_loopback_any_host_name_with_the_token(planned: Path) -> None:
    with running(planned, host="0.0.0.0", token=TOKEN) as board:
        lan = {"Host": f"build-box.lan:{board.port}"}
        assert board.request("/api/board", headers=lan)[0] == 401
        bearer = {**lan, "Authorization": f"Bearer {TOKEN}"}
        assert board.request("/api/board", headers=bearer)[0] == 200
        foreign = {**bearer, "Origin": "http://evil.example"}
        assert board.request("/api/board", headers=foreign)[0] == 403


def test_the_task_cache_reads_only_what_changed(planned: Path, orch: Orch,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.board.taskcache import TaskCache

    store, cache = Store(planned), TaskCache()
    time.sleep(0.03)  # past snapfiles.RACY_NS: files written just now are read again at every build
    assert [t["id"] for t in cache.tasks(store)] == ["A", "B", "C", "D"]
    assert orch("start", "A", "--brief")[0] == 0
    read: list[str] = []
    original = Store.task_or_none
    monkeypatch.setattr(Store, "task_or_none", lambda self, tid: read.append(tid) or original(self, tid))
    monkeypatch.setattr(Store, "tasks", lambda self: pytest.fail("the whole snapshot was read again"))
    tasks = cache.tasks(store)
    assert read == ["A"] and [t["status"] for t in tasks] == ["in_progress", "queued", "queued", "queued"]
    (planned / ".orch" / "tasks" / "D.json").unlink()
    assert [t["id"] for t in cache.tasks(store)] == ["A", "B", "C"] and read == ["A"]


def test_actions_are_refused_inside_claude_code(planned: Path, orch: Orch,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = orch("board", "--allow-actions", "--background")
    assert code == 2 and "not --background" in err and out == ""
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", "an-agent-session")
    code, out, err = orch("board", "--allow-actions", "--no-open")
    assert code == 1 and "own terminal" in err and out == ""


def test_milestones_declared_and_named_with_their_tags() -> None:
    from orchestrator.board.model import milestone_rows

    plans = [{"id": "p", "milestones": [{"id": "m1", "title": "First"}, {"id": "m2"}]}]
    tasks = [{"id": "a", "plan": "p", "milestone": "m1", "status": "completed"},
             {"id": "b", "plan": "p", "milestone": "m1", "status": "queued"},
             {"id": "c", "plan": "p", "milestone": "extra", "status": "completed"},
             {"id": "d", "plan": "q", "milestone": "m1", "status": "completed"}]
    rows = milestone_rows(plans, tasks, {"p/m1", "p/extra"})
    assert [(r["id"], r["completed"], r["total"], r["tag"]) for r in rows] == [
        ("m1", 1, 2, "p/m1"), ("m2", 0, 0, None), ("extra", 1, 1, "p/extra")]
