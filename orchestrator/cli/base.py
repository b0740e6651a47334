"""The `orch` group and what its commands share: JSON output and the common options."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from orchestrator import __version__


def emit(data: Any) -> None:
    """JSON on stdout: indented for a person at a terminal, compact (and much faster to write at
    10,000 tasks: the C encoder cannot indent) for a program reading a pipe. The views hold no
    cycle (no check for one: a tenth of the encoding), and JSON has no raw escape code for click
    to strip (`color=True`: no search of megabytes of text for one)."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, ensure_ascii=False, check_circular=False), color=True)


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (stable shape).")(func)


def plan_option(func: Any) -> Any:
    return click.option("--plan", "plan_id", help="Only this plan (default: every plan).")(func)


def agent_option(func: Any) -> Any:
    return click.option("--agent", help="Act as this agent id (default: the Claude Code session).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orch")
def cli() -> None:
    """orch: make a plan of tasks binding on Claude Code."""
