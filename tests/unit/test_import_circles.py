"""The three import circles stay broken: the demo does not import the CLI (the CLI hands it its
entry), gitops does not import receipts (the tag markers live in `tagmarks`), and no rule of the
Bash analyser imports the analyser that loads the rules (`Ctx` lives in `hooks/bash/command`).
Imports under `if TYPE_CHECKING:` are for the type checker only and do not count."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "orchestrator"


def imported(path: Path) -> set[str]:
    """Every module `path` imports at run time (at its top or inside a function)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.ImportFrom) and child.module:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_the_demo_does_not_import_the_cli() -> None:
    assert "orchestrator.cli" not in imported(PACKAGE / "demo.py")
    assert "orchestrator.console" not in imported(PACKAGE / "demo.py")


def test_gitops_does_not_import_receipts() -> None:
    assert not {"orchestrator.receipts", "orchestrator.milestones"} & imported(PACKAGE / "gitops.py")


def test_no_bash_rule_imports_the_analyser() -> None:
    rules = sorted((PACKAGE / "hooks" / "bash" / "programs").glob("*.py"))
    assert rules
    for path in rules:
        assert "orchestrator.hooks.bash.analyser" not in imported(path), path.name
