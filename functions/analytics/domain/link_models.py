"""The answer of the tracked-links attribution report."""

from decimal import Decimal

from pydantic import BaseModel, Field

from functions.analytics.domain.models import Revenue


class TrackedLink(BaseModel):
    code: str = Field(description="The short link's code.")
    short_url: str = Field(description="The short link as it was published.")
    destination: str = Field(description="Where it leads (before the UTM parameters).")
    clicks: int = Field(description="Redirects through it.")


class TargetClicks(BaseModel):
    account_id: str = Field(description="The target's account.")
    platform: str = Field(description="The account's platform.")
    clicks: int = Field(description="Redirects through the target's links.")
    links: list[TrackedLink] = Field(description="The target's links.")


class AttributedEvent(BaseModel):
    name: str = Field(description="The site event's name (`signup`, `purchase`...).")
    count: int = Field(description="How many arrived with the post's UTM parameters.")


class PlatformAttribution(BaseModel):
    platform: str = Field(description="The platform (`utm_source`).")
    clicks: int = Field(description="Redirects through the post's links on this platform.")
    events: list[AttributedEvent] = Field(description="Attributed site events, most first.")
    revenue: list[Revenue] = Field(description="Attributed revenue per currency.")


class PostAttribution(BaseModel):
    post_id: str = Field(description="The post.")
    clicks: int = Field(description="Redirects through all of the post's links.")
    targets: list[TargetClicks] = Field(description="Clicks per target (account).")
    platforms: list[PlatformAttribution] = Field(description="Clicks and site events per platform.")
    events: list[AttributedEvent] = Field(description="Attributed site events on every platform.")
    revenue: list[Revenue] = Field(description="Attributed revenue per currency, all platforms.")


def revenue_list(amounts: dict[str, Decimal]) -> list[Revenue]:
    return [
        Revenue(currency=currency, amount=amount) for currency, amount in sorted(amounts.items())
    ]
