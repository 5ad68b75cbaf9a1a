"""Requests and answers of the analytics API: tracking keys, tracked events and their reports."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from functions.shared.bounded_json import bounded_json
from functions.shared.inputs import Rfc3339Date, Rfc3339DateTime, SingleLine

MAX_EVENTS_PER_BATCH = 100
MAX_PROPERTIES_BYTES = 8 * 1024
MAX_URL_LENGTH = 2048
MAX_ORIGINS = 20
MAX_FUNNEL_STEPS = 5
# Revenue beyond this, either way, is a mistake rather than a sale (or a refund).
MAX_REVENUE = Decimal("1000000000")

# ISO 4217 active currency codes (the 2024 list, SIX Financial Information).
_ISO_4217_TEXT = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND "
    "BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU "
    "CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP "
    "GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES "
    "KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR "
    "PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD "
    "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS "
    "UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB "
    "XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG"
)
ISO_4217_CODES = frozenset(_ISO_4217_TEXT.split(" "))


def _iso_4217(code: str) -> str:
    if code not in ISO_4217_CODES:
        raise ValueError("must be an ISO 4217 currency code in capitals, e.g. EUR or USD")
    return code


def _web_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    return url


def _origin(origin: str) -> str:
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(
            "must be an origin: scheme, host and optional port, e.g. https://shop.example"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


EventName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:$-]{0,63}$"),
    Field(
        description="What happened, e.g. `page_view`, `signup`, `purchase` (letters, digits and "
        "`_ . : $ -`, at most 64). `page_view` counts as a pageview."
    ),
]
Identifier = Annotated[SingleLine, StringConstraints(min_length=1, max_length=128)]
Utm = Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]
WebUrl = Annotated[
    SingleLine, StringConstraints(max_length=MAX_URL_LENGTH), AfterValidator(_web_url)
]
Origin = Annotated[
    str,
    StringConstraints(max_length=255),
    AfterValidator(_origin),
    Field(
        description="A web origin allowed to send events with the key, e.g. https://shop.example"
    ),
]
Currency = Annotated[
    str,
    AfterValidator(_iso_4217),
    Field(description="ISO 4217 code of the revenue's currency, in capitals (EUR, USD, JPY)."),
]


class Utms(Body):
    source: Utm | None = Field(None, description="`utm_source`: who sent the visitor.")
    medium: Utm | None = Field(None, description="`utm_medium`: the kind of link (social, email).")
    campaign: Utm | None = Field(None, description="`utm_campaign`.")
    term: Utm | None = Field(None, description="`utm_term`.")
    content: Utm | None = Field(None, description="`utm_content`.")


class TrackedEvent(Body):
    name: EventName
    timestamp: Rfc3339DateTime = Field(description="When it happened (RFC 3339, with an offset).")
    anonymous_id: Identifier | None = Field(
        None, description="The browser's or device's id before sign-in."
    )
    user_id: Identifier | None = Field(None, description="Your id of the signed-in person.")
    session_id: Identifier | None = Field(None, description="The visit this event belongs to.")
    properties: Annotated[
        dict[str, Any],
        bounded_json(max_depth=5, max_bytes=MAX_PROPERTIES_BYTES),
        Field(description="Anything else about the event: a JSON object of at most 8 KB."),
    ] = Field(default_factory=dict)
    page_url: WebUrl | None = Field(None, description="The page's URL.")
    referrer: WebUrl | None = Field(None, description="The page the visitor came from.")
    utm: Utms | None = Field(None, description="The UTM parameters the visit arrived with.")
    revenue: (
        Annotated[
            Decimal,
            Field(
                ge=-MAX_REVENUE,
                le=MAX_REVENUE,
                decimal_places=4,
                description="Money the event brought (negative for a refund), in `currency`.",
            ),
        ]
        | None
    ) = None
    currency: Currency | None = None

    @model_validator(mode="after")
    def _complete(self) -> "TrackedEvent":
        if self.anonymous_id is None and self.user_id is None:
            raise ValueError("an event needs an anonymous_id or a user_id (or both)")
        if (self.revenue is None) != (self.currency is None):
            raise ValueError("revenue and currency go together")
        return self


class EventBatch(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "name": "page_view",
                            "timestamp": "2030-03-01T09:00:00.120+01:00",
                            "anonymous_id": "a2f4c9e0-6d1b-4c1e-9a55-0f3e2b7d8c11",
                            "session_id": "s-01J9Z3K4QH",
                            "page_url": "https://shop.example/coffee/autumn-roast?ref=x",
                            "referrer": "https://t.co/abc123",
                            "utm": {"source": "herald", "medium": "social", "campaign": "autumn"},
                        },
                        {
                            "name": "purchase",
                            "timestamp": "2030-03-01T09:04:31.002+01:00",
                            "anonymous_id": "a2f4c9e0-6d1b-4c1e-9a55-0f3e2b7d8c11",
                            "user_id": "customer-8812",
                            "session_id": "s-01J9Z3K4QH",
                            "properties": {"order_id": "SO-10492", "items": 2},
                            "page_url": "https://shop.example/checkout/done",
                            "utm": {"source": "herald", "medium": "social", "campaign": "autumn"},
                            "revenue": "24.90",
                            "currency": "EUR",
                        },
                    ]
                }
            ]
        }
    )

    events: list[TrackedEvent] = Field(
        min_length=1, max_length=MAX_EVENTS_PER_BATCH, description="1 to 100 events."
    )


class BatchAccepted(BaseModel):
    accepted: int = Field(description="How many events were stored.")


KeyKind = Literal["write", "server"]


class TrackingKeyCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Shop website",
                    "kind": "write",
                    "allowed_origins": ["https://shop.example", "https://www.shop.example"],
                },
                {"name": "Order backend", "kind": "server"},
            ]
        }
    )

    name: Annotated[
        SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    kind: KeyKind = Field(
        description="`write`: a publishable key for web pages, limited to `allowed_origins` and "
        "to sending events; `server`: a secret key for your servers, sent as a bearer token."
    )
    allowed_origins: list[Origin] = Field(
        default_factory=list,
        max_length=MAX_ORIGINS,
        description="Where a write key may be used from (the `Origin` of its requests); "
        "required for write keys, not allowed for server keys.",
    )

    @model_validator(mode="after")
    def _origins_fit_kind(self) -> "TrackingKeyCreate":
        if self.kind == "write" and not self.allowed_origins:
            raise ValueError("a write key needs at least one allowed origin")
        if self.kind == "server" and self.allowed_origins:
            raise ValueError("a server key is not used from web pages: leave allowed_origins out")
        return self


class TrackingKey(BaseModel):
    id: str = Field(description="The key's id (a ULID).")
    name: str = Field(description="What the key is for.")
    kind: KeyKind = Field(description="`write` (publishable, for web pages) or `server`.")
    allowed_origins: list[str] = Field(description="Origins a write key works from.")
    hint: str = Field(description="The key's first characters, to recognise it.")
    created_by: str = Field(description="Who created it (`user:<id>`).")
    created_at: datetime = Field(description="When it was created (RFC 3339).")


class TrackingKeyCreated(TrackingKey):
    key: str = Field(
        description="The key. A write key is public by design (it goes into web pages); a "
        "server key is a secret. Either is shown only in this response."
    )


class DailyTraffic(BaseModel):
    date: str = Field(description="The UTC day (RFC 3339 full-date).")
    events: int = Field(description="Events received for the day.")
    pageviews: int = Field(description="`page_view` events.")
    sessions: int = Field(description="Distinct `session_id`s seen that day.")
    visitors: int = Field(description="Distinct visitors (user_id, else anonymous_id) that day.")


class Ranked(BaseModel):
    value: str = Field(description="The page path, event name, referrer host or UTM source.")
    count: int = Field(description="Events for it within the period.")


class Revenue(BaseModel):
    currency: str = Field(description="ISO 4217 code.")
    amount: Decimal = Field(description="Sum of revenue (refunds subtract).")


class DailyRevenue(Revenue):
    date: str = Field(description="The UTC day.")


class SourceRevenue(Revenue):
    source: str = Field(description="The UTM source, `(none)` for revenue without one.")


class Traffic(BaseModel):
    from_date: str = Field(description="First day of the period (UTC).")
    to_date: str = Field(description="Last day of the period (UTC), included.")
    days: list[DailyTraffic] = Field(description="One entry per day, oldest first.")
    top_pages: list[Ranked] = Field(description="Most viewed page paths (pageviews).")
    top_events: list[Ranked] = Field(description="Most frequent event names.")
    top_referrers: list[Ranked] = Field(description="Most frequent referrer hosts.")
    top_utm_sources: list[Ranked] = Field(description="Most frequent UTM sources.")
    revenue_by_day: list[DailyRevenue] = Field(description="Revenue per day and currency.")
    revenue_by_source: list[SourceRevenue] = Field(
        description="Revenue per UTM source and currency, largest first."
    )


class FunnelRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "steps": ["page_view", "signup", "purchase"],
                    "from": "2030-03-01T00:00:00Z",
                    "to": "2030-04-01T00:00:00Z",
                    "window_seconds": 604800,
                    "breakdown": "utm_source",
                }
            ]
        }
    )

    steps: list[EventName] = Field(
        min_length=2,
        max_length=MAX_FUNNEL_STEPS,
        description="Event names in the order a visitor must reach them (2 to 5).",
    )
    from_: Rfc3339DateTime = Field(alias="from", description="Start of the period (included).")
    to: Rfc3339DateTime = Field(description="End of the period (excluded); at most 92 days on.")
    window_seconds: int = Field(
        86400,
        ge=1,
        le=90 * 86400,
        description="Time from a visitor's first step within which every later step must happen.",
    )
    breakdown: Literal["utm_source"] | None = Field(
        None, description="Split the funnel by the UTM source of the visitor's first step."
    )

    @model_validator(mode="after")
    def _steps_differ(self) -> "FunnelRequest":
        if any(a == b for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError("two steps in a row must be different events")
        return self


class FunnelStep(BaseModel):
    name: str = Field(description="The step's event name.")
    visitors: int = Field(description="Visitors who reached this step in order, in the window.")
    conversion: float = Field(description="Share of the first step's visitors (0..1).")
    drop_off: float = Field(description="Share of the previous step's visitors lost here (0..1).")


class FunnelSegment(BaseModel):
    value: str = Field(description="The breakdown value (`(none)`: no UTM source).")
    steps: list[FunnelStep] = Field(description="The funnel within this segment.")


class FunnelResult(BaseModel):
    steps: list[FunnelStep] = Field(description="The funnel over every visitor.")
    breakdown: list[FunnelSegment] | None = Field(
        description="Per breakdown value, largest first; null without a breakdown."
    )


QueryStatus = Literal["running", "succeeded", "failed"]


class FunnelQuery(BaseModel):
    """A funnel query: started by `POST`, read by `GET` until it has an answer."""

    id: str = Field(description="Query id.")
    status: QueryStatus = Field(
        description="`running` (ask again in a few seconds), `succeeded` (`result` holds the "
        "answer) or `failed` (`error` says why)."
    )
    created_at: datetime = Field(description="When the query started.")
    request: FunnelRequest = Field(description="The funnel asked for.")
    result: FunnelResult | None = Field(description="The answer, once `succeeded`.")
    error: str | None = Field(description="Why the query failed, once `failed`.")


class RetentionRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"from": "2030-01-06", "to": "2030-03-31"}]}
    )

    from_: Rfc3339Date = Field(alias="from", description="First UTC day (RFC 3339 full-date).")
    to: Rfc3339Date = Field(description="Last UTC day, included; at most 184 days on.")


class Cohort(BaseModel):
    week: str = Field(description="Monday (UTC) of the week the cohort's visitors first came.")
    visitors: int = Field(description="Visitors first seen that week (within the period).")
    retained: list[int] = Field(
        description="Visitors of the cohort active in its week 0, 1, 2... (index = week offset)."
    )


class Retention(BaseModel):
    from_date: str = Field(description="First day of the period.")
    to_date: str = Field(description="Last day of the period, included.")
    cohorts: list[Cohort] = Field(description="One per week, oldest first.")


class RetentionQuery(BaseModel):
    """A retention query: started by `POST`, read by `GET` until it has an answer."""

    id: str = Field(description="Query id.")
    status: QueryStatus = Field(
        description="`running` (ask again in a few seconds), `succeeded` (`result` holds the "
        "answer) or `failed` (`error` says why)."
    )
    created_at: datetime = Field(description="When the query started.")
    request: RetentionRequest = Field(description="The period asked for.")
    result: Retention | None = Field(description="The answer, once `succeeded`.")
    error: str | None = Field(description="Why the query failed, once `failed`.")
