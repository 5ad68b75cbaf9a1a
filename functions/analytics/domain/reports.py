"""Reports over tracked events: the traffic dashboard from the rollups, funnels and retention from
the raw events (domain/queries.py)."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from functions.analytics.adapters import rollups
from functions.analytics.domain.models import (
    Cohort,
    DailyRevenue,
    DailyTraffic,
    FunnelRequest,
    FunnelResult,
    FunnelSegment,
    FunnelStep,
    Ranked,
    Retention,
    RetentionRequest,
    SourceRevenue,
    Traffic,
)
from functions.analytics.domain.queries import (
    RETENTION_SQL,
    funnel_parameters,
    funnel_sql,
    retention_parameters,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.problems import FieldError, ValidationFailed

TOP = 10
MAX_TRAFFIC_DAYS = 366
MAX_FUNNEL_DAYS = 92
MAX_RETENTION_DAYS = 184
_EPOCH_MONDAY = date(1969, 12, 29)


def _period(first: date, last: date, max_days: int, pointer: str = "/query/to") -> list[date]:
    if last < first:
        problem = "must not be before `from`"
    elif (last - first).days + 1 > max_days:
        problem = f"a period spans at most {max_days} days"
    else:
        return rollups.days_between(first, last)
    raise ValidationFailed(
        f"The period is not usable: `to` {problem}.",
        errors=[FieldError(pointer=pointer, detail=problem, code="period_invalid")],
    )


def _ranked(counts: Counter[str]) -> list[Ranked]:
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [Ranked(value=value, count=int(count)) for value, count in ordered[:TOP]]


def traffic(access: WorkspaceAccess, first: date, last: date) -> Traffic:
    days = _period(first, last, MAX_TRAFFIC_DAYS)
    totals = rollups.read_totals(access.workspace_id, days)
    tops: dict[str, Counter[str]] = {}
    for dimension in ("page", "event", "referrer", "utm_source"):
        summed: Counter[str] = Counter()
        for counts in rollups.read_values(access.workspace_id, dimension, days).values():
            summed.update({value: int(amount) for value, amount in counts.items()})
        tops[dimension] = summed
    by_day: list[DailyRevenue] = []
    by_source: Counter[tuple[str, str]] = Counter()
    revenue = rollups.read_values(access.workspace_id, "revenue", days)
    for day in days:
        per_currency: dict[str, Decimal] = {}
        for value, amount in revenue.get(day.isoformat(), {}).items():
            currency, _, source = value.partition(":")
            per_currency[currency] = per_currency.get(currency, Decimal(0)) + amount
            by_source[(source, currency)] += amount  # type: ignore[assignment]
        by_day.extend(
            DailyRevenue(date=day.isoformat(), currency=currency, amount=amount)
            for currency, amount in sorted(per_currency.items())
        )
    return Traffic(
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        days=[
            DailyTraffic(
                date=day.isoformat(),
                **{
                    name: totals.get(day.isoformat(), {}).get(name, 0)
                    for name in rollups.DAY_TOTALS
                },
            )
            for day in days
        ],
        top_pages=_ranked(tops["page"]),
        top_events=_ranked(tops["event"]),
        top_referrers=_ranked(tops["referrer"]),
        top_utm_sources=_ranked(tops["utm_source"]),
        revenue_by_day=by_day,
        revenue_by_source=[
            SourceRevenue(source=source, currency=currency, amount=Decimal(amount))
            for (source, currency), amount in sorted(
                by_source.items(), key=lambda pair: (-pair[1], pair[0])
            )
        ],
    )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def funnel_steps(names: list[str], reached: list[int]) -> list[FunnelStep]:
    entered = reached[0]
    return [
        FunnelStep(
            name=name,
            visitors=count,
            conversion=count / entered if entered else 0.0,
            drop_off=(1 - count / reached[index - 1]) if index and reached[index - 1] else 0.0,
        )
        for index, (name, count) in enumerate(zip(names, reached, strict=True))
    ]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """What a funnel or retention query reads (the workspace's days) and runs."""

    days: list[date]
    sql: str
    parameters: list[object]


def funnel_plan(workspace_id: str, request: FunnelRequest) -> QueryPlan:
    start, end = request.from_.astimezone(UTC), request.to.astimezone(UTC)
    if end <= start:
        raise ValidationFailed(
            "`to` must be after `from`.",
            errors=[
                FieldError(pointer="/body/to", detail="must be after `from`", code="period_invalid")
            ],
        )
    days = _period(
        start.date(), (end - timedelta(milliseconds=1)).date(), MAX_FUNNEL_DAYS, "/body/to"
    )
    # Events of the window's end may lie past `to`: a visitor who entered near the end still
    # converts within the window, so the days read stretch by the window (bounded: 90 days).
    return QueryPlan(
        days=rollups.days_between(
            days[0], (end + timedelta(seconds=request.window_seconds)).date()
        ),
        sql=funnel_sql(request.steps, by_source=request.breakdown is not None),
        parameters=funnel_parameters(
            workspace_id, _ms(start), _ms(end), request.steps, request.window_seconds * 1000
        ),
    )


def funnel_result(request: FunnelRequest, rows: list[tuple[object, ...]]) -> FunnelResult:
    totals = [0] * len(request.steps)
    segments = []
    for source, *counts in rows:
        reached = [int(str(count)) for count in counts]
        totals = [total + count for total, count in zip(totals, reached, strict=True)]
        segments.append((str(source), reached))
    segments.sort(key=lambda pair: (-pair[1][0], pair[0]))
    return FunnelResult(
        steps=funnel_steps(request.steps, totals),
        breakdown=[
            FunnelSegment(value=source, steps=funnel_steps(request.steps, reached))
            for source, reached in segments
        ]
        if request.breakdown
        else None,
    )


def week_monday(week: int) -> date:
    return _EPOCH_MONDAY + timedelta(weeks=week)


def retention_plan(workspace_id: str, request: RetentionRequest) -> QueryPlan:
    first, last = request.from_, request.to
    days = _period(first, last, MAX_RETENTION_DAYS, "/body/to")
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return QueryPlan(
        days=days,
        sql=RETENTION_SQL,
        parameters=retention_parameters(workspace_id, _ms(start), _ms(end)),
    )


def retention_result(request: RetentionRequest, rows: list[tuple[object, ...]]) -> Retention:
    first, last = request.from_, request.to
    cohorts: dict[int, list[int]] = {}
    for cohort, offset, actors in rows:
        retained = cohorts.setdefault(int(str(cohort)), [])
        retained.extend([0] * (int(str(offset)) + 1 - len(retained)))
        retained[int(str(offset))] = int(str(actors))
    return Retention(
        from_date=first.isoformat(),
        to_date=last.isoformat(),
        cohorts=[
            Cohort(week=week_monday(week).isoformat(), visitors=retained[0], retained=retained)
            for week, retained in sorted(cohorts.items())
        ],
    )
