"""The dependency matcher of JSON subtask lists: exactly as forgiving as a scan of every subtask
per reference (kept below as the reference implementation), but with work linear in the plan."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from orchestrator.plans import load_plan
from orchestrator.plans.matcher import Candidate, Matcher, words

# -- the scan it replaced: the definition of "as forgiving" -----------------------------------


def _scan(candidates: list[Candidate], external: frozenset[str], me: str, ref: str) -> str:
    def names(c: Candidate) -> tuple[str, str]:
        return words(c.id), words(c.title)

    def pick(found: list[Candidate]) -> str | None:
        if len(found) > 1:
            raise ValueError(f"ambiguous dependency {ref!r}: it matches {', '.join(map(str, found))}")
        return found[0].id if found else None

    key = words(ref)
    found = pick([c for c in candidates if c.id == ref or key in names(c)])
    if found or ref in external:
        return found or ref
    others = [c for c in candidates if c.id != me] if key else []
    prefix = pick([c for c in others if any(name.startswith(key) for name in names(c))])
    if prefix:
        return prefix
    subset = pick([c for c in others if set(key.split()) <= set(" ".join(names(c)).split())])
    if subset:
        return subset
    raise ValueError(f"unknown dependency {ref!r}")


def _outcome(resolve: object, *args: object) -> str:
    try:
        return str(resolve(*args))  # type: ignore[operator]
    except ValueError as exc:
        return "unknown" if str(exc).startswith("unknown dependency") else f"error: {exc}"


VOCABULARY = ["auth", "api", "ui", "login", "form", "db", "schema", "design", "docs", "test", "a", "ab"]


def _random_candidates(rng: random.Random) -> list[Candidate]:
    found: dict[str, Candidate] = {}
    for _ in range(rng.randint(1, 8)):
        title_words = rng.sample(VOCABULARY, rng.randint(1, 3))
        title = rng.choice([" ", "_", "-"]).join(w.upper() if rng.random() < 0.3 else w for w in title_words)
        task_id = rng.choice(["-".join(title_words), rng.choice(VOCABULARY), f"t{rng.randint(1, 3)}"])
        found.setdefault(task_id, Candidate(task_id, title))
    return list(found.values())


def _random_reference(rng: random.Random, candidates: list[Candidate]) -> str:
    picked = rng.choice(candidates)
    choices = [picked.id, picked.title, picked.title.upper(), picked.title[: rng.randint(1, 5)],
               " ".join(rng.sample(VOCABULARY, rng.randint(1, 2))), "zzz", "ext", "!!", ""]
    return rng.choice(choices)


def test_the_indexes_resolve_exactly_as_the_scan_did() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        candidates = _random_candidates(rng)
        external = frozenset(rng.sample(["ext", "auth", "t1"], rng.randint(0, 2)))
        matcher = Matcher(candidates, external)
        me, ref = rng.choice(candidates).id, _random_reference(rng, candidates)
        expected = _outcome(_scan, candidates, external, me, ref)
        assert _outcome(matcher.resolve, ref, me) == expected, (candidates, external, me, ref)


# -- linear work ------------------------------------------------------------------------------


def _titles(count: int) -> list[Candidate]:
    return [Candidate(f"t{n}", f"Implement part {n} of the generated system") for n in range(count)]


def _matcher_work(count: int) -> int:
    """Index a plan of `count` subtasks and resolve references to a random other one: by its exact
    title, in another case and separators, by its id, by a unique prefix, by some of its words."""
    rng = random.Random(count)
    candidates = _titles(count)
    matcher = Matcher(candidates, frozenset())
    for me in candidates:
        target = candidates[rng.randrange(count)]
        if target is me:
            continue
        number = target.id[1:]
        for ref in (target.title, target.title.upper().replace(" ", "_"), target.id,
                    f"implement part {number} of the gen", f"system {number}"):
            assert matcher.resolve(ref, me.id) == target.id
    return matcher.work


def test_the_matcher_does_linear_work() -> None:
    small, large = _matcher_work(1_000), _matcher_work(10_000)
    assert large <= 11 * small, f"work grew {large / small:.1f}x for 10x the subtasks"


def test_a_subtask_list_parses_with_linear_normalisations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the parser: count every normalisation of a title or reference."""
    calls = [0]

    def counting(text: str) -> str:
        calls[0] += 1
        return words(text)

    monkeypatch.setattr("orchestrator.plans.matcher.words", counting)

    def normalisations(count: int) -> int:
        items = [{"title": f"Part {n} of the system",
                  "dependencies": [f"part {m} of the system" for m in range(max(0, n - 3), n)]}
                 for n in range(count)]
        path = tmp_path / f"plan-{count}.json"
        path.write_text(json.dumps(items, indent=1), encoding="utf-8")
        calls[0] = 0
        assert load_plan(path)["tasks"][-1]["depends_on"][-1] == f"part-{count - 2}-of-the-system"
        return calls[0]

    small, large = normalisations(1_000), normalisations(10_000)
    assert large <= 11 * small, f"normalisations grew {large / small:.1f}x for 10x the subtasks"
