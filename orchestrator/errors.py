"""The project's error types. The CLI's error boundary maps each to a message and an exit code."""

from __future__ import annotations


class OrchError(Exception):
    """Base of every error orch reports to a user. `exit_code` is what the CLI exits with."""

    exit_code = 1


class Refused(OrchError):
    """A legal request refused by the rules (dependency unfinished, illegal transition, ...)."""

    exit_code = 1


class InvalidInput(OrchError):
    """Usage error or invalid input: nothing was written."""

    exit_code = 2


class PlanError(InvalidInput):
    """A malformed plan. The message names the file, the line and the field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class StateError(OrchError):
    """Corrupt or hand-broken state. The message names the file; `orch doctor` says how to recover."""

    exit_code = 2
