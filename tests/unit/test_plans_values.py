"""The value normalisers every format shares: estimates, priorities, statuses."""

from __future__ import annotations

import pytest

from orchestrator.plans import parse_estimate
from orchestrator.plans.values import normalise_priority, normalise_status, slugify


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2h", 2.0), ("30m", 0.5), ("1.5d", 12.0), ("1w", 40.0), ("2-3h", 3.0), ("3", 3.0),
        ("2 hours", 2.0), ("90 min", 1.5), ("1-2 days", 16.0), ("2 to 3 weeks", 120.0),
        ("~4h", 4.0), (" 4H ", 4.0), ("0", 0.0), (2, 2.0), (1.25, 1.25), ("", None), (None, None),
        ("   ", None), ("2–3h", 3.0),
    ],
)  # fmt: skip
def test_parse_estimate(text: object, hours: float | None) -> None:
    assert parse_estimate(text) == hours


@pytest.mark.parametrize("text", ["soon", "2x", "h", "3-2h", "-1h", "2 parsecs", True, [2], "1h30m"])
def test_parse_estimate_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="bad estimate"):
        parse_estimate(text)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("HIGH", "high"), ("High", "high"), ("critical", "critical"), ("P0", "critical"),
        ("p1", "high"), ("P2", "medium"), ("P3", "low"), ("urgent", "critical"), ("🔴 High", "high"),
        ("**LOW**", "low"), ("High (security)", "high"), ("normal", "medium"),
    ],
)  # fmt: skip
def test_normalise_priority(text: str, priority: str) -> None:
    assert normalise_priority(text) == priority


@pytest.mark.parametrize("text", ["P4", "whenever", "", 1, None])
def test_normalise_priority_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="bad priority"):
        normalise_priority(text)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Not Started", "queued"), ("in progress", "in_progress"), ("In-Progress", "in_progress"),
        ("Complete", "completed"), ("Completed", "completed"), ("DONE", "completed"),
        ("✅ Complete", "completed"), ("Blocked", "blocked"), ("canceled", "cancelled"),
        ("Review", "review"), ("testing", "testing"), ("todo", "queued"),
        ("Complete (2024-05-01)", "completed"),
    ],
)  # fmt: skip
def test_normalise_status(text: str, status: str) -> None:
    assert normalise_status(text) == status


@pytest.mark.parametrize("text", ["halfway", "", 3])
def test_normalise_status_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="bad status"):
        normalise_status(text)


def test_slugify() -> None:
    assert slugify("Database Schema Design") == "database-schema-design"
    assert slugify("  OAuth2 / OIDC: login!  ") == "oauth2-oidc-login"
