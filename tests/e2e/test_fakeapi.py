"""The fake Messages API on its own (no CLI): HTTP surface, SSE encoding, routing."""

from __future__ import annotations

import http.client
import json
import urllib.request
from typing import Any

from fakeapi import (
    SUBAGENT_MARKER,
    FakeAPI,
    Script,
    is_side_request,
    text,
    tool_use,
)


def post(
    api: FakeAPI, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    req = urllib.request.Request(
        api.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    resp: http.client.HTTPResponse = urllib.request.urlopen(req, timeout=5)
    return resp


def parse_sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


TOOLS = [{"name": "Bash", "input_schema": {"type": "object"}}]


def conv(prompt: str, subagent: bool = False, **extra: Any) -> dict[str, Any]:
    billing = "x-anthropic-billing-header: cc_version=1; cc_entrypoint=sdk-cli;"
    if subagent:
        billing += f" {SUBAGENT_MARKER};"
    return {
        "model": "claude-test",
        "stream": True,
        "system": [{"type": "text", "text": billing}, {"type": "text", "text": "You are"}],
        "tools": TOOLS,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>SUBAGENT-B in git log</system-reminder>"},
                    {"type": "text", "text": prompt},
                ],
            }
        ],
        **extra,
    }


def test_http_surface() -> None:
    with FakeAPI() as api:
        head = urllib.request.urlopen(urllib.request.Request(api.url + "/", method="HEAD"))
        assert head.status == 200
        ct = json.load(post(api, "/v1/messages/count_tokens", {"messages": []}))
        assert ct["input_tokens"] >= 1
        assert json.load(post(api, "/v1/whatever", {})) == {}
        plain = json.load(post(api, "/v1/messages", {**conv("hi"), "stream": False}))
        assert plain["content"] == [text("done")] and plain["stop_reason"] == "end_turn"
        assert [r.method for r in api.requests] == ["HEAD", "POST", "POST", "POST"]


def test_sse_stream_shape() -> None:
    call = tool_use("Bash", {"command": "echo hi"})
    with FakeAPI(Script().main([text("a"), call])) as api:
        resp = post(api, "/v1/messages?beta=true", conv("go"))
        assert resp.headers["Content-Type"] == "text/event-stream"
        events = parse_sse(resp.read().decode())
    names = [e for e, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert "usage" in events[-2][1]
    partial = "".join(
        d["delta"]["partial_json"]
        for e, d in events
        if e == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    )
    assert json.loads(partial) == {"command": "echo hi"}
    starts = [d["content_block"] for e, d in events if e == "content_block_start"]
    assert starts[1]["id"] == call["id"] and starts[1]["name"] == "Bash"


def test_routing() -> None:
    script = Script().main([text("m1")])
    script.subagent("SUBAGENT-A", [[text("a1")], [text("a2")]])
    script.subagent("SUBAGENT-B", [[text("b1")]])
    hdr = "x-claude-code-agent-id"
    with FakeAPI(script) as api:
        # Side requests don't consume turns: no tools, or a known forked-side prompt.
        assert is_side_request({"messages": []})
        post(api, "/v1/messages", {**conv("x"), "tools": []})
        post(api, "/v1/messages", conv("[SUGGESTION MODE: Suggest what the user might type"))
        post(api, "/v1/messages", conv("main prompt"))
        # The key inside a system reminder (SUBAGENT-B) is ignored; the prompt's key wins.
        post(api, "/v1/messages", conv("SUBAGENT-A: go", subagent=True), {hdr: "ag1"})
        post(api, "/v1/messages", conv("SUBAGENT-A: go", subagent=True), {hdr: "ag1"})
        post(api, "/v1/messages", conv("nobody", subagent=True), {hdr: "ag9"})
        assert api.lanes_seen() == ["side", "side", "main", "SUBAGENT-A", "SUBAGENT-A", "subagent:ag9"]
        answers = [r.response[0]["text"] for r in api.message_requests()]
        assert answers[2:] == ["m1", "a1", "a2", "done"]
        assert script.pending() == {"main": 0, "SUBAGENT-A": 0, "SUBAGENT-B": 1, "subagent:ag9": 0}


def test_callable_turn_and_errors() -> None:
    def boom(req: dict[str, Any]) -> list[dict[str, Any]]:
        raise ValueError("broken turn")

    def echo(req: dict[str, Any]) -> list[dict[str, Any]]:
        return [text("saw " + req["messages"][-1]["content"][-1]["text"])]

    with FakeAPI(Script().main(echo, boom)) as api:
        post(api, "/v1/messages", conv("ping"))
        post(api, "/v1/messages", conv("ping"))
        assert api.message_requests()[0].response == [text("saw ping")]
        assert "broken turn" in api.message_requests()[1].response[0]["text"]
        try:
            api.check()
        except AssertionError as e:
            assert "broken turn" in str(e)
        else:
            raise AssertionError("check() should raise")


def test_structured_side_answer() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    fmt = {"format": {"type": "json_schema", "schema": schema}}
    body = {**conv("name this"), "tools": [], "output_config": fmt}
    with FakeAPI() as api:
        post(api, "/v1/messages", body)
        (req,) = api.message_requests("side")
        assert json.loads(req.response[0]["text"]) == {"title": "Scripted side answer"}
