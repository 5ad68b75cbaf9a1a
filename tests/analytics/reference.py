"""Funnels and retention computed in plain Python, one event at a time: the reference the SQL of
functions/analytics/domain/queries.py is compared with (tests, and bench/analytics.py)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NO_SOURCE = "(none)"


def funnel(
    events: Iterable[Mapping[str, Any]],
    steps: Sequence[str],
    start_ms: int,
    end_ms: int,
    window_ms: int,
) -> dict[str, list[int]]:
    """Visitors reaching each step, per UTM source of their entry: entry at the actor's first
    step-1 event in `start_ms..end_ms` (several at that moment: the first of their sources in text
    order, none only if none has one), each later step at its earliest event at or after the
    previous step, no later than the window after the entry."""
    by_actor: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    wanted = set(steps)
    for event in events:
        actor = event.get("actor")
        ts = event["ts_ms"]
        if actor is None or event["name"] not in wanted or not start_ms <= ts < end_ms + window_ms:
            continue
        by_actor[actor].append((ts, event["name"], event.get("utm_source")))
    result: dict[str, list[int]] = {}
    for actor_events in by_actor.values():
        entries = [e for e in actor_events if e[1] == steps[0] and e[0] < end_ms]
        if not entries:
            continue
        entry_ts = min(e[0] for e in entries)
        sources = sorted(e[2] for e in entries if e[0] == entry_ts and e[2] is not None)
        counts = result.setdefault(sources[0] if sources else NO_SOURCE, [0] * len(steps))
        counts[0] += 1
        reached = entry_ts
        for index, step in enumerate(steps[1:], start=1):
            following = [
                e[0]
                for e in actor_events
                if e[1] == step and reached <= e[0] <= entry_ts + window_ms
            ]
            if not following:
                break
            reached = min(following)
            counts[index] += 1
    return result


def retention(
    events: Iterable[Mapping[str, Any]], start_ms: int, end_ms: int
) -> dict[int, dict[int, int]]:
    """Per cohort week (weeks since the Monday 1969-12-29), actors active per week offset."""
    weeks: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.get("actor") is None or not start_ms <= event["ts_ms"] < end_ms:
            continue
        day = event["ts_ms"] // 86_400_000
        weeks[event["actor"]].add((day + 3) // 7)
    cohorts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for active in weeks.values():
        first = min(active)
        for week in active:
            cohorts[first][week - first] += 1
    return {cohort: dict(offsets) for cohort, offsets in cohorts.items()}
