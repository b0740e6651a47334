"""orch: make a plan of tasks binding on Claude Code."""

__version__ = "0.1.0"
