"""The program table of the Bash analyser names exactly the programs each rule module handles."""

from __future__ import annotations

import importlib

from orchestrator.hooks.bash import programs


def test_program_table_matches_each_modules_rules() -> None:
    for module, listed in programs._MODULES.items():
        names = set(listed.split())
        rules = importlib.import_module(f"orchestrator.hooks.bash.programs.{module}").RULES
        assert set(rules) == names, module
