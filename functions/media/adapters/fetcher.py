"""Fetching a file from a URL a user typed, without letting the URL reach Herald's own network.

A server-side fetch of a user's URL is the textbook server-side request forgery: the URL (or a
redirect, or a DNS answer) names 169.254.169.254 and the Lambda's credentials leak, or it names
a service only the VPC can reach. So, for every hop:

- only `https` on port 443, with no credentials in the URL;
- the host is resolved once, every address it resolves to must be a public internet address,
  and the connection goes to that checked address (functions/shared/destinations.py says why
  and how);
- redirects are not followed by httpx but here, at most 5, each new URL checked the same way;
- the body streams to a file and stops past `max_bytes`, and the whole fetch, every hop
  included, is cancelled at `timeout_seconds`.

`resolver` and `transport` can be replaced (tests answer DNS and HTTP themselves).
"""

import asyncio
import ssl
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote

import httpx

from functions.shared.destinations import (
    HTTPS_PORT,
    DestinationRefused,
    Resolver,
    checked_addresses,
    pinned_request,
    system_resolve,
    tls_context,
)

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchRefused(Exception):
    """The URL may not be fetched, or what it answered may not be kept; the message says why."""


class TooLarge(FetchRefused):
    """The file is bigger than the caller's byte cap."""


@dataclass(frozen=True, slots=True)
class Fetched:
    path: Path
    size: int
    url: str  # the last hop's URL, after redirects
    filename: str | None  # from Content-Disposition or the URL's last path segment


def checked_url(raw: str) -> httpx.URL:
    """The URL if its form is acceptable (https, port 443, a host, no credentials)."""
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise FetchRefused("it is not a valid URL") from None
    if url.scheme != "https":
        raise FetchRefused("only https URLs can be imported")
    if not url.host:
        raise FetchRefused("the URL names no host")
    if url.userinfo:
        raise FetchRefused("URLs with a user name or password cannot be imported")
    if url.port not in (None, HTTPS_PORT):
        raise FetchRefused(f"only the standard https port ({HTTPS_PORT}) can be used")
    return url


async def open_pinned(client: httpx.AsyncClient, url: httpx.URL, address: str) -> httpx.Response:
    """Start a GET of `url` over a connection to `address`, keeping the hostname for the `Host`
    header, SNI and the certificate check. The caller reads and closes the response."""
    request = pinned_request(client, "GET", url, address, headers={"Accept-Encoding": "identity"})
    return await client.send(request, stream=True)


async def fetch(
    raw_url: str,
    destination: Path,
    *,
    max_bytes: int,
    timeout_seconds: float,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | bool | None = None,
) -> Fetched:
    try:
        async with asyncio.timeout(timeout_seconds):
            async with httpx.AsyncClient(
                transport=transport,
                verify=tls_context() if verify is None else verify,
                trust_env=False,  # no proxy from the environment: it would undo the pinning
                follow_redirects=False,
                timeout=timeout_seconds,
            ) as client:
                return await _follow(
                    client, raw_url, destination, max_bytes, resolver or system_resolve
                )
    except TimeoutError:
        raise FetchRefused(f"the server took longer than {timeout_seconds:g} s") from None


def fetch_to_file(
    raw_url: str, destination: Path, *, max_bytes: int, timeout_seconds: float
) -> Fetched:
    """`fetch` for synchronous callers (domain code running in a worker thread)."""
    return asyncio.run(
        fetch(raw_url, destination, max_bytes=max_bytes, timeout_seconds=timeout_seconds)
    )


async def _follow(
    client: httpx.AsyncClient,
    raw_url: str,
    destination: Path,
    max_bytes: int,
    resolver: Resolver,
) -> Fetched:
    url = checked_url(raw_url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            addresses = await checked_addresses(url.raw_host.decode("ascii"), resolver)
        except DestinationRefused as refused:
            raise FetchRefused(str(refused)) from None
        response = await _connect(client, url, addresses)
        try:
            if response.status_code in _REDIRECTS and "location" in response.headers:
                url = checked_url(str(url.join(response.headers["location"])))
                continue
            if response.status_code != 200:
                raise FetchRefused(f"the server answered {response.status_code}, not the file")
            size = await _save(response, destination, max_bytes)
            return Fetched(destination, size, str(url), _filename(response, url))
        finally:
            await response.aclose()
    raise FetchRefused(f"the URL redirects more than {MAX_REDIRECTS} times")


async def _connect(
    client: httpx.AsyncClient, url: httpx.URL, addresses: list[str]
) -> httpx.Response:
    """Try the checked addresses in the resolver's order until one connects."""
    for address in addresses:
        try:
            return await open_pinned(client, url, address)
        except httpx.ConnectError:
            continue
        except httpx.TimeoutException:
            raise FetchRefused("the server did not answer in time") from None
        except httpx.HTTPError:
            raise FetchRefused("the server's answer was not valid HTTP") from None
    raise FetchRefused(f"no secure connection could be made to {url.host}")


async def _save(response: httpx.Response, destination: Path, max_bytes: int) -> int:
    declared = response.headers.get("content-length")
    too_big = TooLarge(f"the file is larger than the {max_bytes} bytes that can be imported")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    size = 0
    try:
        with destination.open("wb") as file:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise too_big
                file.write(chunk)
    except httpx.HTTPError:
        raise FetchRefused("the download broke off") from None
    return size


def _filename(response: httpx.Response, url: httpx.URL) -> str | None:
    disposition = response.headers.get("content-disposition")
    if disposition:
        header = Message()
        header["content-disposition"] = disposition
        named = header.get_filename()
        if named:
            return named.replace("/", "_").replace("\\", "_").strip() or None
    last = unquote(url.path.rsplit("/", 1)[-1]).strip()
    return last or None
