"""What `orch sync` and `orch claims` print for a person (their `--json` is the data itself)."""

from __future__ import annotations

from typing import Any


def sync_text(report: dict[str, Any]) -> str:
    if not report.get("team"):
        return ("Team mode is off (sync.remote is not set): nothing to sync. "
                "A person at a terminal turns it on with `orch config sync.remote origin` (a setting "
                "agents may not change; docs/teams.md).")
    attempts = report["attempts"]
    retried = "" if attempts == 1 else f" after {attempts} attempts (the remote rejected the first pushes)"
    lines = [f"Synced .orch/ with {report['remote']}/{report['branch']}{retried}.",
             f"  {len(report['commits'])} commit(s) made; merged: {'yes' if report['merged'] else 'no'}"]
    lines += [f"  reconciled {change}" for change in report.get("reconciled", [])]
    held = report.get("claims") or {}
    for kind in ("released", "refreshed"):
        if held.get(kind):
            lines.append(f"  claims {kind}: {', '.join(held[kind])}")
    return "\n".join(lines)


def claims_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No task is claimed on the remote."
    width = max(len(row["task"]) for row in rows)
    return "\n".join(f"{row['task']:<{width}}  {row['holder']} on {row['machine']} since {row['at']}"
                     for row in rows)
