"""The short-link redirect and the attribution report (docs/analytics.md#tracked-links).

Following a link answers with its destination carrying UTM parameters that name Herald, the
platform and the post: `utm_source=<platform>`, `utm_medium=social`, `utm_campaign=herald`,
`utm_content=<post id>`. The destination's own query parameters stay, in order; UTM parameters
it already had are replaced, since attribution reads Herald's. Each click counts on its link and
is recorded as a `link_click` event through event ingestion.
"""

import hashlib
import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from pynamodb.exceptions import UpdateError

from functions.analytics.adapters import attribution
from functions.analytics.domain import ingestion
from functions.analytics.domain.link_models import (
    AttributedEvent,
    PlatformAttribution,
    PostAttribution,
    TargetClicks,
    TrackedLink,
    revenue_list,
)
from functions.analytics.domain.models import TrackedEvent
from functions.shared.access import WorkspaceAccess
from functions.shared.observability import logger
from functions.shared.problems import NotFound
from functions.shared.rate_limits import Budget, BudgetUsage, count_in_window, enforce
from functions.shared.settings import get_settings
from functions.shared.tables import condition_failed, key, utc_now
from functions.shared.tracked_links import ShortLinkItem, TrackedLinkItem, short_url

UTM_MEDIUM = ingestion.SOCIAL_MEDIUM
UTM_CAMPAIGN = ingestion.HERALD_CAMPAIGN
# Only digested, so a long one is cut rather than refused: a click must never fail.
MAX_USER_AGENT = 512


def utm_destination(destination: str, platform: str, post_id: str) -> str:
    parts = urlsplit(destination)
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_")
    ]
    utm = [
        ("utm_source", platform),
        ("utm_medium", UTM_MEDIUM),
        ("utm_campaign", UTM_CAMPAIGN),
        ("utm_content", post_id),
    ]
    return urlunsplit(parts._replace(query=urlencode(kept + utm)))


def follow(code: str, client: str | None, user_agent: str | None, referrer: str | None) -> str:
    """The location a short link leads to; its click counted and recorded."""
    _charge(code, client)
    link = ShortLinkItem.find(code)
    if link is None:
        raise NotFound("No such link.")
    location = utm_destination(link.destination, link.platform, link.post_id)
    _count(link)
    _record_click(link, code, location, client, user_agent, referrer)
    return location


def _charge(code: str, client: str | None) -> None:
    """A budget of follows per client address and code, so that one client cannot inflate a
    link's clicks; unknown codes spend it too. The address is kept only as a digest."""
    settings = get_settings()
    budget = Budget(
        name="short-link",
        holder="This address",
        traffic="follows of this link",
        quota=settings.analytics_redirect_requests,
        window_seconds=settings.rate_limit_window_seconds,
    )
    subject = hashlib.sha256(f"{client or ''}\n{code}".encode()).hexdigest()
    hits, window_end = count_in_window(
        key("LIMIT", "REDIRECT", subject), (), timedelta(seconds=budget.window_seconds)
    )
    resets_in = math.ceil((window_end - utc_now()).total_seconds())
    enforce([BudgetUsage(budget=budget, hits=hits, resets_in_seconds=max(0, resets_in))])


def _count(link: ShortLinkItem) -> None:
    item = TrackedLinkItem(
        *TrackedLinkItem.keys(link.workspace_id, link.post_id, link.account_id, link.destination)
    )
    try:
        item.update(
            actions=[TrackedLinkItem.clicks.add(1)],
            condition=TrackedLinkItem.pk.exists(),
            add_version_condition=False,
        )
    except UpdateError as error:
        if condition_failed(error):
            # Its workspace is being deleted: the lookup is next.
            raise NotFound("No such link.") from None
        raise


def _visitor(workspace_id: str, client: str | None, user_agent: str | None) -> str:
    """A click's visitor: a digest of the address and browser, per workspace and day, so that
    neither is stored and the same person counts once a day."""
    agent = (user_agent or "")[:MAX_USER_AGENT]
    seed = "\n".join([workspace_id, utc_now().date().isoformat(), client or "", agent])
    return "click:" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _record_click(
    link: ShortLinkItem,
    code: str,
    location: str,
    client: str | None,
    user_agent: str | None,
    referrer: str | None,
) -> None:
    fields = {
        "name": ingestion.LINK_CLICK,
        "timestamp": utc_now(),
        "anonymous_id": _visitor(link.workspace_id, client, user_agent),
        "utm": {
            "source": link.platform,
            "medium": UTM_MEDIUM,
            "campaign": UTM_CAMPAIGN,
            "content": link.post_id,
        },
        "properties": {"code": code, "post_id": link.post_id, "account_id": link.account_id},
    }
    try:
        try:
            event = TrackedEvent.model_validate(
                fields | {"page_url": location, "referrer": referrer or None}
            )
        except ValidationError:
            # The browser's Referer (or an unusual destination) is no event URL: the click
            # counts without them.
            event = TrackedEvent.model_validate(fields)
        ingestion.store(link.workspace_id, [event], utc_now())
    except Exception:
        # The visitor still gets where they were going; the link's own count has the click.
        logger.exception("recording a click failed", extra={"code": code})


def post_attribution(access: WorkspaceAccess, post_id: str) -> PostAttribution:
    links = TrackedLinkItem.of_post(access.workspace_id, post_id)
    found = attribution.read(access.workspace_id, post_id)
    if found is None and not links:
        raise NotFound("No post with tracked links has this id in this workspace.")
    targets: dict[str, TargetClicks] = {}
    clicks_by_platform: Counter[str] = Counter()
    for link in links:
        target = targets.setdefault(
            link.account_id,
            TargetClicks(account_id=link.account_id, platform=link.platform, clicks=0, links=[]),
        )
        clicks = int(link.clicks or 0)
        target.clicks += clicks
        clicks_by_platform[link.platform] += clicks
        target.links.append(
            TrackedLink(
                code=link.link_code,
                short_url=short_url(link.link_code),
                destination=link.destination,
                clicks=clicks,
            )
        )
    events: dict[str, Counter[str]] = {}
    revenue: dict[str, dict[str, Decimal]] = {}
    for name, value in (found or {}).items():
        kind, _, rest = name.partition(":")
        # Platforms have no colon; event names may (`checkout:done`).
        platform, _, label = rest.partition(":")
        if kind == "e":
            events.setdefault(platform, Counter())[label] += int(value)
        elif kind == "r":
            revenue.setdefault(platform, {})[label] = value
    platforms = sorted(set(clicks_by_platform) | set(events) | set(revenue))
    total_events: Counter[str] = sum(events.values(), Counter())
    total_revenue: dict[str, Decimal] = {}
    for amounts in revenue.values():
        for currency, amount in amounts.items():
            total_revenue[currency] = total_revenue.get(currency, Decimal(0)) + amount
    return PostAttribution(
        post_id=post_id,
        clicks=sum(clicks_by_platform.values()),
        targets=list(targets.values()),
        platforms=[
            PlatformAttribution(
                platform=platform,
                clicks=clicks_by_platform[platform],
                events=_ranked(events.get(platform, Counter())),
                revenue=revenue_list(revenue.get(platform, {})),
            )
            for platform in platforms
        ],
        events=_ranked(total_events),
        revenue=revenue_list(total_revenue),
    )


def _ranked(counts: Counter[str]) -> list[AttributedEvent]:
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return [AttributedEvent(name=name, count=count) for name, count in ordered]
