"""`orch mcp` through the SDK's client: mcp-task-orchestrator's whole workflow on an e-commerce
subtask list, bound by orch's rules, with `orch verify` passing afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp.shared.exceptions import MCPError

from tests.conftest import Orch
from tests.unit.mcp_client import Client, run

SUBTASKS = [
    {"title": "Database schema", "description": "Products, carts and orders tables",
     "specialist_type": "architect", "dependencies": [], "estimated_effort": "medium"},
    {"title": "Product catalog API", "description": "List and search products",
     "specialist_type": "implementer", "dependencies": ["Database schema"]},
    {"title": "Shopping cart", "description": "Add, remove, total", "specialist_type": "implementer",
     "dependencies": ["database schema"]},
    {"title": "Checkout and payment", "description": "Orders from carts, payment provider",
     "specialist_type": "implementer", "dependencies": ["Shopping cart", "Product catalog API"]},
    {"title": "End-to-end tests", "description": "Browse, add to cart, pay", "specialist_type": "tester",
     "dependencies": ["Checkout and payment"]},
    {"title": "API documentation", "description": "Every endpoint", "specialist_type": "documenter",
     "dependencies": ["Product catalog API"]},
]
ORDER = ["database-schema", "product-catalog-api", "shopping-cart", "checkout-and-payment",
         "end-to-end-tests", "api-documentation"]


def _initialised(orch: Orch) -> None:
    assert orch("init", "--no-hooks")[0] == 0


def _complete(client: Client, task_id: str) -> Any:
    return client.ok("orchestrator_complete_subtask", task_id=task_id, summary=f"{task_id} done",
                     detailed_work=f"# {task_id}\n\nAll of it.", file_paths=["README.md"],
                     artifact_type="code", next_action="continue")


def test_the_whole_mcp_task_orchestrator_workflow(repo: Path, orch: Orch) -> None:
    _initialised(orch)

    async def body(client: Client) -> dict[str, Any]:
        seen: dict[str, Any] = {"session": await client.ok("orchestrator_initialize_session")}
        seen["plan"] = await client.ok("orchestrator_plan_task", description="E-commerce shop",
                                       subtasks_json=json.dumps(SUBTASKS), complexity_level="complex",
                                       context="A small web shop")
        seen["early"] = await client.refused("orchestrator_execute_subtask", task_id="checkout-and-payment")
        seen["executed"] = []
        for task_id in ORDER:
            seen["executed"].append(await client.ok("orchestrator_execute_subtask", task_id=task_id))
            seen.setdefault("completed", []).append(await _complete(client, task_id))
            if task_id == "shopping-cart":
                seen["midway"] = await client.ok("orchestrator_get_status")
        seen["status"] = await client.ok("orchestrator_get_status", include_completed=True)
        seen["synthesis"] = await client.ok("orchestrator_synthesize_results",
                                            parent_task_id="e-commerce-shop")
        return seen

    seen = run(repo, body)
    assert seen["session"]["session_initialized"] is True
    assert "architect" in seen["session"]["orchestrator_context"]["specialist_roles"]
    plan = seen["plan"]
    assert plan["parent_task_id"] == "e-commerce-shop" and plan["complexity"] == "complex"
    assert [s["task_id"] for s in plan["subtasks"]] == ORDER
    assert plan["subtasks"][2]["dependencies"] == ["database-schema"]  # matched forgivingly
    assert "database-schema" in plan["next_steps"]
    assert "checkout-and-payment" in seen["early"] and "shopping-cart" in seen["early"]
    first = seen["executed"][0]
    assert first["specialist_context"]["role"] == "architect"
    assert first["bound_to"]["id"].startswith("mcp-pytest-") and first["bound_to"]["via"] == "client"
    assert "Database schema" in first["specialist_context"]["guidance"]
    last = seen["completed"][-1]
    assert last["status"] == "completed" and last["parent_task_progress"]["progress_percentage"] == 100.0
    assert last["artifact_info"]["accessible_via"] == "docs/artifacts/e-commerce-shop/api-documentation.md"
    midway = seen["midway"]["active_tasks"][0]
    assert midway["progress"] == {"completed": 3, "total": 6, "percentage": 50.0}
    assert [s["task_id"] for s in midway["subtasks"]] == ORDER[3:]
    assert seen["status"]["active_tasks"] == []
    assert seen["status"]["completed_tasks"][0]["status"] == "completed"
    synthesis = seen["synthesis"]
    assert synthesis["synthesis_complete"] is True and synthesis["completed_subtasks"] == 6
    assert "docs/artifacts/e-commerce-shop/database-schema.md" in synthesis["artifacts"]
    assert (repo / "docs" / "reports" / "synthesis.md").read_text(encoding="utf-8") == synthesis["synthesis"]
    work = (repo / "docs/artifacts/e-commerce-shop/database-schema.md").read_text(encoding="utf-8")
    assert "All of it." in work and "database-schema done" in work
    code, out, _err = orch("verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_orch_tools_speak_the_cli_json(repo: Path, orch: Orch) -> None:
    _initialised(orch)

    async def body(client: Client) -> dict[str, Any]:
        tools = await client.session.list_tools()
        await client.ok("orchestrator_plan_task", description="Shop", subtasks_json=json.dumps(SUBTASKS[:2]))
        return {
            "tools": [t.name for t in tools.tools],
            "next": await client.ok("orch_next"),
            "start": await client.ok("orch_start", task_id="database-schema"),
            "locks": await client.ok("orch_locks"),
            "done": await client.ok("orch_done", task_id="database-schema"),
            "status": await client.ok("orch_status", plan="shop"),
            "verify": await client.ok("orch_verify"),
        }

    seen = run(repo, body)
    assert len(seen["tools"]) == 12
    assert "orchestrator_plan_task" in seen["tools"] and "orch_next" in seen["tools"]
    assert [r["id"] for r in seen["next"]["ready"]] == ["database-schema"]
    assert seen["start"]["task"]["status"] == "in_progress"
    assert seen["locks"] == {"leases": []}
    assert seen["done"]["completed"] is True and seen["done"]["status"] == "completed"
    _code, out, _err = orch("status", "--json", "--plan", "shop")
    assert seen["status"] == json.loads(out)
    assert seen["verify"]["ok"] is True


def test_resources_and_prompts(repo: Path, orch: Orch) -> None:
    _initialised(orch)

    async def body(client: Client) -> dict[str, Any]:
        await client.ok("orchestrator_plan_task", description="Shop", subtasks_json=json.dumps(SUBTASKS[:2]))
        listed = await client.session.list_resources()
        task = await client.session.read_resource("orch://tasks/database-schema")
        prompts = await client.session.list_prompts()
        prompt = await client.session.get_prompt("start", {"arguments": "database-schema"})
        try:
            await client.session.read_resource("orch://tasks/nope")
            missing = ""
        except MCPError as exc:
            missing = str(exc)
        return {"uris": [str(r.uri) for r in listed.resources], "task": task.contents[0].text,
                "prompts": [p.name for p in prompts.prompts], "start": prompt.messages[0].content.text,
                "missing": missing, "alive": await client.ok("orch_locks")}

    seen = run(repo, body)
    assert seen["uris"] == ["orch://status", "orch://plans/shop"]
    assert json.loads(seen["task"])["title"] == "Database schema"
    assert {"next", "start", "done", "status"} <= set(seen["prompts"])
    assert "orch start database-schema" in seen["start"] and "CLAUDE_PLUGIN_DATA" not in seen["start"]
    assert "no task 'nope'" in seen["missing"]
