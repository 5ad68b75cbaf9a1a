"""POSTing one delivery to an endpoint, at an address checked just before connecting.

The endpoint's host is resolved at each attempt and every address must be public (the rules of
functions/shared/destinations.py); the request goes to the checked address with the hostname
kept for `Host`, SNI and the certificate. Redirects are not followed (a 3xx is an answer like
any other). The attempt gives up after 10 s, and at most 2 KB of the answer is read.

With `HERALD_WEBHOOKS_ALLOW_LOCAL_HTTP` (local mode only), a plain-http URL on a loopback host
is allowed, for a receiver on the developer's machine.
"""

import asyncio
import ipaddress
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from functions.shared.destinations import (
    HTTPS_PORT,
    DestinationRefused,
    Resolver,
    checked_addresses,
    pinned_request,
    resolved_addresses,
    system_resolve,
    tls_context,
)

TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None  # None: no answer (see `error`)
    latency_ms: int
    excerpt: str | None = None
    retry_after_seconds: float | None = None
    error: str | None = None


def endpoint_url(raw: str, *, allow_local_http: bool) -> httpx.URL:
    """The URL if its form is acceptable: https on port 443, a host, no credentials (or, when
    allowed, http on a loopback host)."""
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise DestinationRefused("it is not a valid URL") from None
    if not url.host:
        raise DestinationRefused("the URL names no host")
    if url.userinfo:
        raise DestinationRefused("URLs with a user name or password are not accepted")
    if url.fragment:
        raise DestinationRefused("URLs with a #fragment are not accepted")
    if allow_local_http and url.scheme in ("http", "https") and _is_loopback(url.host):
        return url
    if url.scheme != "https":
        raise DestinationRefused("only https URLs are accepted")
    if url.port not in (None, HTTPS_PORT):
        raise DestinationRefused(f"only the standard https port ({HTTPS_PORT}) can be used")
    return url


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def destination_addresses(
    url: httpx.URL, *, allow_local_http: bool, resolver: Resolver
) -> list[str]:
    """The addresses to connect to for `url`, each checked; DestinationRefused otherwise."""
    host = url.raw_host.decode("ascii")
    if allow_local_http and _is_loopback(url.host):
        addresses = await resolved_addresses(host, url.port or HTTPS_PORT, resolver)
        if not all(ipaddress.ip_address(address).is_loopback for address in addresses):
            raise DestinationRefused(f"the host {host} does not resolve to a loopback address")
        return addresses
    return await checked_addresses(host, resolver)


async def post(
    url: httpx.URL,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_local_http: bool,
    resolver: Resolver = system_resolve,
) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            addresses = await destination_addresses(
                url, allow_local_http=allow_local_http, resolver=resolver
            )
            async with httpx.AsyncClient(
                trust_env=False,  # no proxy from the environment: it would undo the pinning
                follow_redirects=False,
                timeout=TIMEOUT_SECONDS,
                verify=tls_context(),
            ) as client:
                for address in addresses:
                    request = pinned_request(
                        client, "POST", url, address, headers=headers, content=body
                    )
                    try:
                        response = await client.send(request, stream=True)
                    except httpx.ConnectError:
                        continue
                    try:
                        excerpt = await _excerpt(response)
                    finally:
                        await response.aclose()
                    return Outcome(
                        status_code=response.status_code,
                        latency_ms=elapsed(),
                        excerpt=excerpt,
                        retry_after_seconds=retry_after(response.headers.get("retry-after")),
                    )
            return Outcome(None, elapsed(), error=f"no connection could be made to {url.host}")
    except DestinationRefused as refused:
        return Outcome(None, elapsed(), error=f"refused: {refused}")
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, elapsed(), error=f"no answer within {TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as error:
        return Outcome(None, elapsed(), error=f"the connection failed ({type(error).__name__})")


async def _excerpt(response: httpx.Response) -> str:
    kept = b""
    try:
        async for chunk in response.aiter_raw():
            kept += chunk
            if len(kept) >= EXCERPT_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status is what counts; a body cut short keeps what arrived
    return kept[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (RFC 9110 section 10.2.3): delay-seconds or
    an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
