"""Append-only, SHA-256 hash-chained receipts of every state change, one chain per task.

A chain is a file `.orch/receipts/<chain>.jsonl`: one canonical JSON record per line, each
naming the hash of the one before it. A task's events go to the chain named after the task;
plan-level events go to `@plan-<plan id>` (a task id cannot start with `@`). Two clones that
complete different tasks append to different files, so git merges them without a conflict and
every chain still verifies. See docs/receipts.md. Standard library only; git is only touched by
`verify` and `timeline`, through `gitops`, imported when they run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from orchestrator.errors import InvalidInput, StateError
from orchestrator.jsonfile import fsync_folder, wrote
from orchestrator.runtime import now_iso
from orchestrator.tagmarks import CHAIN_MARKER, ROOT_MARKER

DIRNAME = "receipts"
SUFFIX = ".jsonl"
PLAN_PREFIX = "@plan-"
FIELDS = frozenset({"seq", "prev", "at", "chain", "task", "actor", "event", "data", "evidence", "hash"})
_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_ID_RE = re.compile(_ID)
_CHAIN_RE = re.compile(f"(?:{re.escape(PLAN_PREFIX)})?{_ID}|@config")
_HASH_RE = re.compile(r"[0-9a-f]{64}")
_TAIL_BLOCK = 4096


# -- naming ----------------------------------------------------------------------------------


def task_chain(task_id: str) -> str:
    """The chain holding one task's receipts: the task id itself."""
    if not _ID_RE.fullmatch(task_id):
        raise InvalidInput(f"invalid task id {task_id!r} for a receipt chain")
    return task_id


def plan_chain(plan_id: str) -> str:
    """The chain holding a plan's own events (plan added, milestone tags)."""
    if not _ID_RE.fullmatch(plan_id):
        raise InvalidInput(f"invalid plan id {plan_id!r} for a receipt chain")
    return PLAN_PREFIX + plan_id


def receipts_dir(state_dir: Path) -> Path:
    return Path(state_dir) / DIRNAME


def chain_path(state_dir: Path, chain: str) -> Path:
    if not _CHAIN_RE.fullmatch(chain):
        raise InvalidInput(f"invalid receipt chain name {chain!r}")
    return receipts_dir(state_dir) / f"{chain}{SUFFIX}"


# -- hashing ---------------------------------------------------------------------------------


def canonical(record: dict[str, Any]) -> bytes:
    """The one byte form of a record: sorted keys, no spaces, UTF-8."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the record without its "hash"."""
    body = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def root_of(chain_heads: dict[str, str]) -> str:
    """SHA-256 over sorted "name hash\\n" lines: one hash that names every chain's head."""
    lines = "".join(f"{name} {chain_heads[name]}\n" for name in sorted(chain_heads))
    return hashlib.sha256(lines.encode()).hexdigest()


# -- writing ---------------------------------------------------------------------------------


def append(state_dir: Path, chain: str, *, event: str, actor: str, task: str | None,
           data: dict[str, Any], evidence: dict[str, Any] | None = None,
           durable: bool = True) -> dict[str, Any]:
    """Append one record to `chain` and return it. The caller holds the state lock.

    The line is written with a single O_APPEND write, then fsynced: a reader sees the whole
    line or none of it, and nothing already written is ever rewritten. With `durable=False` the
    caller syncs many appends at once (`jsonfile.sync_all`) before writing what they explain."""
    path = chain_path(state_dir, chain)
    last = _last_record(path)
    record: dict[str, Any] = {
        "seq": 0 if last is None else int(last["seq"]) + 1,
        "prev": None if last is None else str(last["hash"]),
        "at": now_iso(), "chain": chain, "task": task, "actor": actor, "event": event,
        "data": data, "evidence": evidence or {},
    }
    record["hash"] = record_hash(record)
    _append_line(path, canonical(record) + b"\n", durable)
    return record


def _append_line(path: Path, line: bytes, durable: bool = True) -> None:
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    if created and durable:
        fsync_folder(str(path.parent))
    wrote()


def mend_torn_tail(state_dir: Path, chain: str) -> str | None:
    """Repair the end of a chain cut short by a crash during its last append (power loss: a kill
    cannot split the one write): bytes after the last newline that form a valid record get their
    newline, anything else is cut off, since that operation never completed. Says what it did."""
    path = chain_path(state_dir, chain)
    content = path.read_bytes()
    if not content or content.endswith(b"\n"):
        return None
    lines = _lines(content)
    keep = len(content) - len(lines[-1])
    good, problem = _check_chain(chain, lines[:-1], terminated=True)
    prev = good[-1]["hash"] if good else None
    if problem is None and _check_line(lines[-1], chain, len(good), prev)[1] is None:
        _append_line(path, b"\n")
        return f"{path}: ended its last record with the missing newline"
    with open(path, "r+b") as handle:
        handle.truncate(keep)
        os.fsync(handle.fileno())
    return f"{path}: cut off a torn last line ({len(lines[-1])} bytes of a write that never completed)"


def last_record(state_dir: Path, chain: str) -> dict[str, Any] | None:
    """The last record of `chain`; None when it has none."""
    return _last_record(chain_path(state_dir, chain))


def _last_record(path: Path) -> dict[str, Any] | None:
    """The last record of a chain file, read from its end; None for a missing or empty file."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            tail = b""
            while size > len(tail) and tail.count(b"\n") < 2:
                start = max(0, size - len(tail) - _TAIL_BLOCK)
                handle.seek(start)
                tail = handle.read(size - len(tail) - start) + tail
    except FileNotFoundError:
        return None
    if not tail:
        return None
    if not tail.endswith(b"\n"):
        raise StateError(f"{path}: the last receipt is incomplete (an interrupted write?). "
                         "Run `orch doctor --fix`.")
    try:
        last = json.loads(tail[:-1].rsplit(b"\n", 1)[-1])
    except ValueError as exc:
        raise StateError(f"{path}: the last receipt does not parse ({exc}). Run `orch verify`.") from exc
    if not isinstance(last, dict) or not isinstance(last.get("seq"), int) or "hash" not in last:
        raise StateError(f"{path}: the last line is not a receipt. Run `orch verify`.")
    return last


# -- reading ---------------------------------------------------------------------------------


def chain_files(state_dir: Path) -> dict[str, Path]:
    """Every `*.jsonl` file of the receipts folder, by chain name, sorted by name."""
    folder = receipts_dir(state_dir)
    if not folder.is_dir():
        return {}
    found = {p.name[: -len(SUFFIX)]: p for p in folder.iterdir()
             if p.name.endswith(SUFFIX) and not p.name.startswith(".") and p.is_file()}
    return dict(sorted(found.items()))


def readable_records(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], int]:
    """The records of a chain file that parse, in file order, and how many of its lines did not
    (for views that show a chain: judging it is `orch verify`'s). A missing file has none."""
    try:
        lines = [line for line in _lines(Path(path).read_bytes()) if line.strip()]
    except (FileNotFoundError, NotADirectoryError):
        return [], 0
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records, len(lines) - len(records)


def load_chains(state_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every chain's records, in order (StateError naming file and line if one does not parse)."""
    chains: dict[str, list[dict[str, Any]]] = {}
    for name, path in chain_files(state_dir).items():
        records = []
        for number, line in enumerate(_lines(path.read_bytes()), start=1):
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                raise StateError(f"{path}:{number}: receipt does not parse ({exc}). "
                                 "Run `orch verify`.") from exc
        chains[name] = records
    return chains


def trusted_chains(state_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The records of every chain that verifies whole, by name. A chain with a bad record is left
    out: `orch doctor` must not roll a task back to the part of its chain before a corruption."""
    found = {name: trusted_chain(state_dir, name) for name in chain_files(Path(state_dir))}
    return {name: records for name, records in found.items() if records is not None}


def trusted_chain(state_dir: Path, chain: str) -> list[dict[str, Any]] | None:
    """The records of `chain` if it exists and verifies whole, else None."""
    try:
        content = chain_path(Path(state_dir), chain).read_bytes()
    except FileNotFoundError:
        return None
    good, problem = _check_chain(chain, _lines(content), terminated=content.endswith(b"\n"))
    return good if problem is None else None


def transitions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `transition` receipts of a chain, in order."""
    return [r for r in records if r.get("event") == "transition" and isinstance(r.get("data"), dict)]


def heads(state_dir: Path, chains: list[str] | None = None) -> dict[str, str]:
    """chain name -> hash of its last record, for every chain or those of `chains` that exist
    (a chain with no record is left out). Reads only the end of each file; with `chains`, only
    those files (no listing of every chain: 10,000 stats at 10,000 tasks)."""
    if chains is None:
        chosen = chain_files(state_dir)
    else:
        folder = receipts_dir(state_dir)
        chosen = {name: path for name in sorted(set(chains))
                  if _CHAIN_RE.fullmatch(name) and (path := folder / f"{name}{SUFFIX}").is_file()}
    found = {}
    for name, path in chosen.items():
        last = _last_record(path)
        if last is not None:
            found[name] = str(last["hash"])
    return found


def root_hash(state_dir: Path, chains: list[str] | None = None) -> str:
    """One hash over the heads of `chains` (default: every chain). Deterministic: it depends only
    on the chosen chains' heads, so two clones that touched disjoint chains merge to the union."""
    return root_of(heads(state_dir, chains))


def _lines(content: bytes) -> list[bytes]:
    """The lines of a chain file; a last line without its newline is kept (verify flags it)."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


# -- verifying -------------------------------------------------------------------------------


def verify(state_dir: Path, root: Path) -> dict[str, Any]:
    """Check every chain, the task files against their last transition, and the orch tags.

    `first_bad` names the first bad record in (sorted chain, line) order, or else the first task
    file whose status no receipt explains; `tags` lists every orch tag with whether the chain heads
    it recorded still exist."""
    count, first_bad, chains = _check_chains(Path(state_dir))
    if first_bad is None:
        first_bad = _check_task_files(Path(state_dir), Path(root), chains, count)
    if first_bad is None:
        first_bad = _check_plan_files(Path(state_dir), Path(root), count)
    if first_bad is None:
        first_bad = _check_anchors(Path(state_dir), chains, count)
    tags = _check_tags(Path(root), chains)
    ok = first_bad is None and all(tag["ok"] for tag in tags)
    return {"ok": ok, "records": count, "first_bad": first_bad, "tags": tags}


def anchor_of(message: str) -> tuple[str | None, dict[str, str]]:
    """The receipt root and the chain heads an orch tag message records."""
    root, recorded = None, {}
    for line in message.splitlines():
        if line.startswith(ROOT_MARKER):
            root = line[len(ROOT_MARKER):].strip()
        elif line.startswith(CHAIN_MARKER):
            name, _, head = line[len(CHAIN_MARKER):].strip().partition(" ")
            recorded[name] = head.strip()
    return root, recorded


def _check_chains(state_dir: Path) -> tuple[int, dict[str, Any] | None, dict[str, list[dict[str, Any]]]]:
    """(records seen, first bad record, each chain's records up to its first bad one)."""
    count, first_bad, chains = 0, None, {}
    for name, path in chain_files(state_dir).items():
        content = path.read_bytes()
        lines = _lines(content)
        good, problem = _check_chain(name, lines, terminated=content.endswith(b"\n"))
        chains[name] = good
        if problem is not None and first_bad is None:
            line, reason = problem
            first_bad = {"index": count + line - 1, "chain": name, "line": line, "reason": reason}
        count += len(lines)
    return count, first_bad, chains


def _check_chain(name: str, lines: list[bytes], *,
                 terminated: bool) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    """The chain's good records, and (line, reason) of its first bad one."""
    if not _CHAIN_RE.fullmatch(name):
        return [], (1, f"{name}{SUFFIX}: not a valid chain name")
    good: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        prev = good[-1]["hash"] if good else None
        record, reason = _check_line(line, name, number - 1, prev)
        if reason is None and number == len(lines) and not terminated:
            reason = "the last record has no newline: the file was truncated or edited"
        if record is None or reason is not None:
            return good, (number, reason or "invalid record")
        good.append(record)
    return good, None


def _check_line(line: bytes, chain: str, seq: int,
                prev: str | None) -> tuple[dict[str, Any] | None, str | None]:
    try:
        record = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None, "line does not parse as JSON"
    if not isinstance(record, dict):
        return None, "line is not a receipt (not a JSON object)"
    stored = record.get("hash")
    if not isinstance(stored, str) or not _HASH_RE.fullmatch(stored) or record_hash(record) != stored:
        return None, "hash mismatch: the record is not what was written"
    return record, _link_problem(record, line, chain, seq, prev)


def _link_problem(record: dict[str, Any], line: bytes, chain: str, seq: int, prev: str | None) -> str | None:
    if set(record) != FIELDS:
        return f"fields {sorted(set(record) ^ FIELDS)} differ from a receipt's"
    if canonical(record) != line:
        return "hash mismatch: the line's bytes differ from the canonical form its hash covers"
    if record["chain"] != chain:
        return f"chain name mismatch: the record says {record['chain']!r}, its file is {chain!r}"
    if not chain.startswith("@") and record["task"] != chain:
        return f"task mismatch: the record names task {record['task']!r} in chain {chain!r}"
    if type(record["seq"]) is not int or record["seq"] != seq:
        return f"seq is {record['seq']!r}, expected {seq}: a record is missing, repeated or out of order"
    if record["prev"] != prev:
        return "prev does not name the previous record's hash: a record is missing or out of order"
    return None


def _check_task_files(state_dir: Path, root: Path, chains: dict[str, list[dict[str, Any]]],
                      count: int) -> dict[str, Any] | None:
    """The first task file whose status differs from its last transition receipt's `to` (a task
    with no transition receipt must still be queued)."""
    starts = _chain_starts(chains)
    folder = state_dir / "tasks"
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in (p for p in paths if not p.name.startswith(".")):
        shown = _shown(path, root)
        chain = path.stem
        try:
            task = json.loads(path.read_bytes())
            status = task.get("status")
        except (ValueError, AttributeError):
            return {"index": count, "chain": chain, "line": None, "file": shown,
                    "reason": f"{shown}: the task file does not parse"}
        line, expected = _last_transition(chains.get(chain, []))
        if status != expected:
            index = starts.get(chain, count) + line - 1 if line else count
            return {"index": index, "chain": chain, "line": line, "file": shown,
                    "reason": f"{shown}: status is {status!r} but the last transition receipt says "
                              f"{expected!r}: the task file was changed without a receipt"}
        differs = _evidence_differs(task, chains.get(chain, []))
        if differs:
            return {"index": count, "chain": chain, "line": None, "file": shown,
                    "reason": f"{shown}: its {differs} differ from what its receipts record: the task "
                              "file was changed without a receipt (`orch doctor --fix` rolls it to them)"}
    return None


def _evidence_differs(task: dict[str, Any], records: list[dict[str, Any]]) -> str | None:
    """Which of the task file's acceptance ticks and andon whys its `check`/`why` receipts contradict."""
    from orchestrator import evidence

    if evidence.ticks_differ(task, records):
        return "acceptance ticks"
    return "andon whys or fix task" if evidence.andon_differs(task, records) else None


def _check_plan_files(state_dir: Path, root: Path, count: int) -> dict[str, Any] | None:
    """The first plan file that an interrupted `orch plan add` left marked `incomplete`."""
    folder = state_dir / "plans"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name.endswith(".source.json"):
            continue
        try:
            plan = json.loads(path.read_bytes())
        except ValueError:
            continue  # not a receipt matter: `orch doctor` reports it
        if isinstance(plan, dict) and plan.get("incomplete"):
            shown = _shown(path, root)
            return {"index": count, "chain": PLAN_PREFIX + path.stem, "line": None, "file": shown,
                    "reason": f"{shown}: `orch plan add` was interrupted; `orch doctor --fix` completes it"}
    return None


def _check_anchors(
    state_dir: Path, chains: dict[str, list[dict[str, Any]]], count: int
) -> dict[str, Any] | None:
    """The first state file whose dependencies, files or gates differ from what was anchored."""
    from orchestrator import anchors

    tasks = [t for t in (_read_object(p) for p in sorted((state_dir / "tasks").glob("*.json"))) if "id" in t]
    plans = [p for p in (_read_object(f) for f in sorted((state_dir / "plans").glob("*.json"))
                         if not f.name.endswith(".source.json")) if "id" in p]
    config = _read_object(state_dir / "config.json")
    found = anchors.drifts(state_dir, chains, tasks, plans, config)
    if not found:
        return None
    chain, reason = found[0]
    return {"index": count, "chain": chain, "line": None, "reason": reason}


def _read_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _chain_starts(chains: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    starts, total = {}, 0
    for name, records in chains.items():
        starts[name] = total
        total += len(records)
    return starts


def _last_transition(records: list[dict[str, Any]]) -> tuple[int | None, str]:
    for number in range(len(records), 0, -1):
        record = records[number - 1]
        if record.get("event") == "transition" and isinstance(record.get("data"), dict):
            return number, str(record["data"].get("to"))
    return None, "queued"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_tags(root: Path, chains: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    from orchestrator import gitops

    hashes = {name: {h for r in records for h in _hashes_of(r)} for name, records in chains.items()}
    checked = []
    for tag in gitops.orch_tags(root):
        reason = _tag_problem(tag["message"], hashes)
        checked.append({"name": tag["name"], "commit": tag["commit"], "ok": reason is None, "reason": reason})
    return checked


def _hashes_of(record: dict[str, Any]) -> tuple[str, ...]:
    """A record's hash, and the one it was written with if a team merge re-linked it since
    (`teams.chainmerge`): a tag made before the merge recorded that one."""
    evidence = record.get("evidence")
    first = evidence.get("rechained_from") if isinstance(evidence, dict) else None
    return (record["hash"], first) if isinstance(first, str) else (record["hash"],)


def _tag_problem(message: str, hashes: dict[str, set[str]]) -> str | None:
    root, recorded = anchor_of(message)
    if root != root_of(recorded):
        return "its Orch-Receipt-Root does not match the Orch-Chain heads it lists"
    for name, head in sorted(recorded.items()):
        if head not in hashes.get(name, set()):
            return f"chain {name} no longer holds {head[:12]}, its head when the tag was made"
    return None


# -- the timeline ----------------------------------------------------------------------------


def timeline(state_dir: Path, root: Path) -> list[dict[str, Any]]:
    """Every receipt of every chain and every orch tag, oldest first, for `orch log`."""
    from orchestrator import gitops

    rows = []
    for name, records in load_chains(Path(state_dir)).items():
        for record in records:
            rows.append(({"at": record.get("at"), "kind": "receipt", "task": record.get("task"),
                          "event": record.get("event"), "actor": record.get("actor"),
                          "summary": summarise(record), "chain": name, "hash": record.get("hash")},
                         (str(record.get("at")), name, record.get("seq", 0))))
    for tag in gitops.orch_tags(Path(root)):
        rows.append(({"at": tag["at"], "kind": "tag", "task": None, "event": "tag", "actor": tag["tagger"],
                      "summary": f"{tag['name']} at {tag['commit'][:12]}", "name": tag["name"],
                      "commit": tag["commit"]}, (tag["at"], "~", 0)))
    return [row for row, _key in sorted(rows, key=lambda pair: pair[1])]


def summarise(record: dict[str, Any]) -> str:
    """One line saying what a receipt records."""
    raw = record.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    event = record.get("event")
    if event == "transition":
        note = f": {data['note']}" if data.get("note") else ""
        return f"{data.get('from') or 'new'} -> {data.get('to')}{note}"
    if event == "gate":
        verdict = "passed" if data.get("passed") else "failed"
        return f"gate {data.get('name')} {verdict} (exit {data.get('exit_code')})"
    if event == "commit":
        return f"commit {str(data.get('sha') or '')[:12]}"
    if event == "tag":
        return f"tag {data.get('tag')}"
    return _summarise_evidence(event, data)


def _summarise_evidence(event: object, data: dict[str, Any]) -> str:
    """An acceptance tick, an andon's why and fix task, a plan amended by one."""
    if event == "check":
        return f"ticked acceptance {data.get('item')}: {data.get('text')} (evidence: {data.get('evidence')})"
    if event == "why":
        return f"andon why {data.get('n')} (gate {data.get('gate')}): {data.get('text')}"
    if event == "fix_task":
        return f"andon fix task {data.get('fix_task')} (gate {data.get('gate')})"
    if event == "plan_amended":
        return f"plan amended: added {data.get('added')} ({data.get('reason')})"
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return f"{event} {text if len(text) <= 80 else text[:77] + '...'}"
