"""After a merge that changed `.orch/config.json` on both sides: the config's anchor (the last
`@config` receipt's digest of the gates and policy, `anchors`) names one side's config only, so
`orch verify` would call the merged one a hand edit. When each side's config matched its own
anchor before the merge, the merge is no hand edit: a new `config` receipt anchors the merged
config, by `orch sync`. A side that was already edited outside orch is left for verify to report."""

from __future__ import annotations

import json

from orchestrator import anchors, gitops, receipts
from orchestrator.store import Store

CONFIG = ".orch/config.json"
CHAIN = f".orch/receipts/{anchors.CONFIG_CHAIN}.jsonl"


def reanchor(store: Store, before: str | None, incoming: str) -> str | None:
    """Anchor the merged config if it needs it and both sides were sound; says what it did."""
    merged = store.raw_config()
    last = receipts.last_record(store.dir, anchors.CONFIG_CHAIN)
    digest = anchors.config_digest(store.config())
    if last is None or (last.get("data") or {}).get("enforce") == digest:
        return None
    if not all(_sound(store, commit) for commit in (before, incoming) if commit):
        return None
    receipts.append(store.dir, anchors.CONFIG_CHAIN, event="config", actor="orch sync", task=None,
                    data={"key": "(merge)", "enforce": digest, "merged": sorted(merged)})
    return "config: the merged gates and policy anchored (each side's matched its own anchor)"


def _sound(store: Store, commit: str) -> bool:
    """Whether the config at `commit` matches the last anchor recorded at `commit` (no anchor:
    nothing to contradict)."""
    from orchestrator.config import merged

    lines = [line for line in _show(store, commit, CHAIN).splitlines() if line.strip()]
    if not lines:
        return True
    try:
        config, last = json.loads(_show(store, commit, CONFIG) or "{}"), json.loads(lines[-1])
    except ValueError:
        return False
    enforce = (last.get("data") or {}).get("enforce") if isinstance(last, dict) else None
    return isinstance(config, dict) and enforce in (None, anchors.config_digest(merged(config)))


def _show(store: Store, commit: str, path: str) -> str:
    status, out, _err = gitops.run(store.root, "show", f"{commit}:{path}")
    return out if status == 0 else ""
