"""`orch board --export DIR`: the same page as static files, for a CI artifact. The data goes in
`board-data.js` (a script file, so the page's Content-Security-Policy still forbids inline script,
and a page opened from disk needs no fetch) and, for programs, in `board.json`."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.board import live, model
from orchestrator.board.app import STATIC, static_file
from orchestrator.jsonfile import write_text
from orchestrator.runtime import now_iso
from orchestrator.store import Store


def export(store: Store, folder: Path) -> list[Path]:
    """Write the page and its data into `folder` (made if missing); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    view = model.board_view(store, live.stamp(store)) | {"exported_at": now_iso()}
    data = json.dumps(view, ensure_ascii=True)  # ASCII: no U+2028 or other surprise in the script
    written = []
    for name, _kind in STATIC.values():
        written.append(_write(folder / name, static_file(name).decode("utf-8")))
    written.append(_write(folder / "board-data.js", f"window.ORCH_BOARD_DATA = {data};\n"))
    written.append(_write(folder / "board.json", data + "\n"))
    return written


def _write(path: Path, text: str) -> Path:
    write_text(path, text)
    return path
