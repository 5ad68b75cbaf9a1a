"""Request budgets per workspace and per API key, counted in DynamoDB so every instance agrees.

A budget is a number of requests per fixed window (`HERALD_RATE_LIMIT_WINDOW_SECONDS`). Reads
(GET, HEAD) and writes (every other method) have separate budgets, reads the larger. Everyone
acting in a workspace, people and keys alike, spends the workspace's budget; an API key spends
its own budget as well, so one integration cannot use up what the workspace's people need.

Each budget of each window is one counter item in the workspace's partition, bumped by a single
UpdateItem with an atomic `ADD` that returns the new count: concurrent requests on any number of
function instances are all counted, with no read-modify-write race. Refused requests count too
(the write is what tells them apart), which changes nothing for the caller: the window ends when
it ends. The item expires (TTL) one window after its own window ends.

A fixed window lets a client spend one window's budget at its very end and the next one's at
the start of the next: at most twice the quota within a short span, which the budgets allow for.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.shared.access import WorkspaceAccess
from functions.shared.auth import ApiKeyPrincipal
from functions.shared.problems import TooManyRequests
from functions.shared.settings import get_settings
from functions.shared.tables import CounterItem, key, utc_now

# RFC 9110 section 9.2.1: the safe methods, which only read.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def count_in_window(
    partition: str, sort_prefix: tuple[str, ...], window: timedelta
) -> tuple[int, datetime]:
    """Count one more hit in the current fixed window of a counter: (hits so far, window end).

    The counter item is `partition` / `<sort_prefix>#<window start>`, one per window, removed by
    TTL one window after it ends.
    """
    now = utc_now()
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    window_end = datetime.fromtimestamp(start + seconds, tz=now.tzinfo)
    counter = CounterItem(partition, key(*sort_prefix, str(start)))
    counter.update(
        actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(window_end + window)]
    )
    return int(counter.hits), window_end


@dataclass(frozen=True, slots=True)
class Budget:
    """A quota of requests per window; `name` is the policy name of the RateLimit headers."""

    name: str
    holder: str  # whose budget it is, as the refusal names it
    traffic: str  # "reads" or "writes"
    quota: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """Where a request left a budget: hits counted in the window, seconds until it resets."""

    budget: Budget
    hits: int
    resets_in_seconds: int

    @property
    def remaining(self) -> int:
        return max(0, self.budget.quota - self.hits)

    @property
    def exceeded(self) -> bool:
        return self.hits > self.budget.quota


def budgets_for(access: WorkspaceAccess, method: str) -> list[tuple[Budget, tuple[str, ...]]]:
    """The budgets a request spends, each with the sort key prefix of its counter."""
    settings = get_settings()
    reads = method.upper() in READ_METHODS
    traffic = "reads" if reads else "writes"

    def budget(name: str, holder: str, read_quota: int, write_quota: int) -> Budget:
        return Budget(
            name=f"{name}-{traffic}",
            holder=holder,
            traffic=traffic,
            quota=read_quota if reads else write_quota,
            window_seconds=settings.rate_limit_window_seconds,
        )

    workspace = budget(
        "workspace",
        "This workspace",
        settings.rate_limit_workspace_reads,
        settings.rate_limit_workspace_writes,
    )
    budgets: list[tuple[Budget, tuple[str, ...]]] = [(workspace, ("RATE", "WORKSPACE", traffic))]
    principal = access.principal
    if isinstance(principal, ApiKeyPrincipal):
        api_key = budget(
            "api-key",
            "This API key",
            settings.rate_limit_api_key_reads,
            settings.rate_limit_api_key_writes,
        )
        budgets.append((api_key, ("RATE", "APIKEY", principal.key_id, traffic)))
    return budgets


def charge(access: WorkspaceAccess, method: str) -> list[BudgetUsage]:
    """Count a request against every budget it spends; `enforce` then refuses it if one is spent."""
    partition = key("WS", access.workspace_id)
    usages = []
    for budget, sort_prefix in budgets_for(access, method):
        hits, window_end = count_in_window(
            partition, sort_prefix, timedelta(seconds=budget.window_seconds)
        )
        resets_in = math.ceil((window_end - utc_now()).total_seconds())
        usages.append(BudgetUsage(budget=budget, hits=hits, resets_in_seconds=max(0, resets_in)))
    return usages


def enforce(usages: list[BudgetUsage]) -> None:
    """429 when a budget is spent, with Retry-After: when the last spent budget resets."""
    exceeded = [usage for usage in usages if usage.exceeded]
    if not exceeded:
        return
    wait = max(usage.resets_in_seconds for usage in exceeded)
    budget = exceeded[0].budget
    raise TooManyRequests(
        f"{budget.holder} may make {budget.quota} {budget.traffic} per "
        f"{budget.window_seconds} seconds and has used them; try again in {wait} seconds.",
        retry_after_seconds=wait,
    )
