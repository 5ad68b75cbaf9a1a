"""Fetching a file from a URL a user typed, without letting the URL reach Herald's own network.

A server-side fetch of a user's URL is the textbook server-side request forgery: the URL (or a
redirect, or a DNS answer) names 169.254.169.254 and the Lambda's credentials leak, or it names
a service only the VPC can reach. So, for every hop:

- only `https` on port 443, with no credentials in the URL;
- the host is resolved once, and every address it resolves to must be a public internet
  address (`address_refusal`): not loopback, private (RFC 1918, fc00::/7), link-local
  (169.254/16, which holds cloud metadata services, fe80::/10), CGNAT's shared 100.64/10,
  multicast, unspecified (0.0.0.0/8, ::), reserved or documentation ranges, nor an IPv6 address
  embedding one of those (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, Teredo);
- the connection goes to that checked address, not to a second lookup of the name (which DNS
  rebinding could answer differently): the request's URL names the IP while the `Host` header
  and TLS's SNI and certificate check keep the hostname (httpx's `sni_hostname` extension);
- redirects are not followed by httpx but here, at most 5, each new URL checked the same way;
- the body streams to a file and stops past `max_bytes`, and the whole fetch, every hop
  included, is cancelled at `timeout_seconds`.

`resolver` and `transport` can be replaced (tests answer DNS and HTTP themselves).
"""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote

import httpx

MAX_REDIRECTS = 5
HTTPS_PORT = 443
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
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


def address_refusal(address: Address) -> str | None:
    """Why Herald will not connect to `address`, or None for a public internet address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"an IPv6 address embedding {reason}" if reason else None
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (such as a cloud metadata service)"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if any(address.version == network.version and address in network for network in _PRIVATE):
        return "a private network address"
    if address.is_reserved or not address.is_global:
        return "a reserved or special-purpose address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address; the server's is public by design
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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


async def checked_addresses(host: str, resolver: Resolver) -> list[str]:
    """The host's addresses, each one public; FetchRefused naming the first that is not."""
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        names = [str(literal)]
    else:
        try:
            names = await resolver(host, HTTPS_PORT)
        except (OSError, UnicodeError):
            raise FetchRefused(f"the host {host} could not be found") from None
    if not names:
        raise FetchRefused(f"the host {host} could not be found")
    for name in names:
        address = ipaddress.ip_address(name.split("%", 1)[0])
        reason = address_refusal(address)
        if reason is not None:
            raise FetchRefused(f"the host {host} resolves to {address}, {reason}")
    return names


async def open_pinned(client: httpx.AsyncClient, url: httpx.URL, address: str) -> httpx.Response:
    """Start a GET of `url` over a connection to `address`, keeping the hostname for the `Host`
    header, SNI and the certificate check. The caller reads and closes the response."""
    request = client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={"Host": url.netloc.decode("ascii"), "Accept-Encoding": "identity"},
        extensions={"sni_hostname": url.raw_host.decode("ascii")},
    )
    return await client.send(request, stream=True)


async def fetch(
    raw_url: str,
    destination: Path,
    *,
    max_bytes: int,
    timeout_seconds: float,
    resolver: Resolver | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
) -> Fetched:
    try:
        async with asyncio.timeout(timeout_seconds):
            async with httpx.AsyncClient(
                transport=transport,
                verify=verify,
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
        addresses = await checked_addresses(url.raw_host.decode("ascii"), resolver)
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
