"""Python's cyclic garbage collector paused while a read view builds 10,000 rows.

A read view allocates tens of thousands of dicts and lists (the summaries, their rows) that hold
no cycle and live until the view is printed. While they live, every collection walks them again:
a young collection after the load, an older one soon after, measured at 20-50 ms of an
`orch status --json` at 10,000 tasks, for nothing reclaimed. The collector is paused for the view
and restored after it (a long-lived process, the MCP server, collects as before); what the view
leaves behind is freed by reference counting when it is dropped.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block, as it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
