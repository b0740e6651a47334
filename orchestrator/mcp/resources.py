"""Resources (the plans, the tasks, the status) and prompts (orch's slash commands, for clients
other than Claude Code). A bad URI or prompt name is an MCP error naming what exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError

from orchestrator import views
from orchestrator.errors import OrchError
from orchestrator.store import Store

SCHEME = "orch://"
JSON = "application/json"
COMMANDS = Path(__file__).resolve().parent.parent.parent / "commands"
INVALID_PARAMS = -32602
PLUGIN_ORCH = re.compile(r'"?\$\{CLAUDE_PLUGIN_DATA\}/orch"?')


def handlers(root: Path) -> dict[str, Any]:
    """The `on_*` handlers for the SDK's Server."""

    async def list_resources(ctx: ServerRequestContext[Any], params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=_guarded(lambda: _resources(Store.discover(root))))

    async def list_templates(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(name="task", uri_template=SCHEME + "tasks/{task_id}", mime_type=JSON),
            types.ResourceTemplate(name="plan", uri_template=SCHEME + "plans/{plan_id}", mime_type=JSON)])

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
                            ) -> types.ReadResourceResult:
        data = _guarded(lambda: read(Store.discover(root), str(params.uri)))
        text = json.dumps(data, ensure_ascii=False, indent=1)
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=params.uri, mime_type=JSON,
                                                                             text=text)])

    async def list_prompts(ctx: ServerRequestContext[Any], params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[_prompt(p) for p in _commands()])

    async def get_prompt(
        ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        return prompt_text(params.name, (params.arguments or {}).get("arguments", ""))

    return {"on_list_resources": list_resources, "on_list_resource_templates": list_templates,
            "on_read_resource": read_resource, "on_list_prompts": list_prompts, "on_get_prompt": get_prompt}


def _guarded(produce: Any) -> Any:
    try:
        return produce()
    except OrchError as exc:
        raise MCPError(INVALID_PARAMS, f"orch: {exc}") from None


def _resources(store: Store) -> list[types.Resource]:
    found = [types.Resource(name="status", uri=SCHEME + "status", mime_type=JSON,
                            description="Every task's status (orch status --json)")]
    for plan in store.plans():
        found.append(types.Resource(name=f"plan {plan['id']}", uri=f"{SCHEME}plans/{plan['id']}",
                                    mime_type=JSON, description=plan.get("title") or plan["id"]))
    return found


def read(store: Store, uri: str) -> dict[str, Any]:
    kind, _, name = uri.removeprefix(SCHEME).partition("/")
    if uri == SCHEME + "status":
        return views.status_view(store)
    if uri.startswith(SCHEME) and kind == "plans" and name:
        plan = views.select_plan(store, name)[0]
        return {"plan": plan, "tasks": [t for t in store.summaries() if t["plan"] == name]}
    if uri.startswith(SCHEME) and kind == "tasks" and name:
        return store.task(name)
    raise MCPError(INVALID_PARAMS, f"orch: no resource {uri!r}: orch://status, orch://plans/ID, orch://tasks/ID")


# -- prompts: the slash commands ------------------------------------------------------------


def _commands() -> list[Path]:
    return sorted(COMMANDS.glob("*.md")) if COMMANDS.is_dir() else []


def _split(path: Path) -> tuple[str, str]:
    """(description, body) of a command file."""
    text = path.read_text(encoding="utf-8")
    head, body = ("", text)
    if text.startswith("---\n") and "\n---\n" in text[4:]:
        head, body = text[4:].split("\n---\n", 1)
    found = re.search(r"^description:\s*(.+)$", head, re.MULTILINE)
    return (found.group(1).strip() if found else path.stem), body


def _prompt(path: Path) -> types.Prompt:
    description = _split(path)[0]
    return types.Prompt(name=path.stem, description=description, arguments=[
        types.PromptArgument(name="arguments", description="What the slash command takes after its name")])


def prompt_text(name: str, arguments: str) -> types.GetPromptResult:
    """The command's text for a client without Claude Code's shell injection: `!`cmd`` becomes
    an instruction to run `cmd`, and the plugin's launcher plain `orch`."""
    path = next((p for p in _commands() if p.stem == name), None)
    if path is None:
        known = ", ".join(p.stem for p in _commands()) or "none"
        raise MCPError(INVALID_PARAMS, f"orch: no prompt {name!r} (prompts: {known})")
    description, body = _split(path)
    body = PLUGIN_ORCH.sub("orch", body)
    body = re.sub(r"!`([^`]+)`", r"Run `\1` and read its output.", body)
    words = arguments.split()
    body = re.sub(r"\$(\d+)", lambda m: words[int(m.group(1))] if int(m.group(1)) < len(words) else "", body)
    body = body.replace("$ARGUMENTS", arguments)
    message = types.PromptMessage(role="user", content=types.TextContent(text=body.strip()))
    return types.GetPromptResult(description=description, messages=[message])
