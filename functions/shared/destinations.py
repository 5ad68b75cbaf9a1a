"""Which internet addresses Herald may connect to on a user's behalf, and connecting to exactly
the address that was checked.

Any request to a URL a user typed (a media import, a webhook endpoint) is the textbook
server-side request forgery: the URL, or a DNS answer for it, names 169.254.169.254 and the
Lambda's credentials leak, or it names a service only the VPC can reach. So:

- the host is resolved once, and every address it resolves to must be a public internet
  address (`address_refusal`): not loopback, private (RFC 1918, fc00::/7), link-local
  (169.254/16, which holds cloud metadata services, fe80::/10), CGNAT's shared 100.64/10,
  multicast, unspecified (0.0.0.0/8, ::), reserved or documentation ranges, nor an IPv6 address
  embedding one of those (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, Teredo);
- the connection goes to that checked address, not to a second lookup of the name (which DNS
  rebinding could answer differently): the request's URL names the IP while the `Host` header
  and TLS's SNI and certificate check keep the hostname (httpx's `sni_hostname` extension).

Callers check their URL's form themselves (scheme, port), since what they accept differs.
"""

import asyncio
import ipaddress
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from functools import cache

import certifi
import httpx

HTTPS_PORT = 443
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


_tls_building = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The certificate checks of every outgoing HTTPS connection (user-given URLs, platforms),
    built once per process: loading the CA bundle costs tens of milliseconds of CPU, which a
    client created per request would spend every time (an SSLContext is safe to share between
    threads). The lock keeps the first requests, made side by side, from each building one."""
    with _tls_building:
        return _tls_context()


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


class DestinationRefused(Exception):
    """Herald will not connect to this host; the message says why."""


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


async def resolved_addresses(host: str, port: int, resolver: Resolver) -> list[str]:
    """The host's addresses (a literal address as it is), unchecked."""
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return [str(literal)]
    try:
        names = await resolver(host, port)
    except (OSError, UnicodeError):
        raise DestinationRefused(f"the host {host} could not be found") from None
    if not names:
        raise DestinationRefused(f"the host {host} could not be found")
    return names


async def checked_addresses(host: str, resolver: Resolver, port: int = HTTPS_PORT) -> list[str]:
    """The host's addresses, each one public; DestinationRefused naming the first that is not."""
    names = await resolved_addresses(host, port, resolver)
    for name in names:
        address = ipaddress.ip_address(name.split("%", 1)[0])
        reason = address_refusal(address)
        if reason is not None:
            raise DestinationRefused(f"the host {host} resolves to {address}, {reason}")
    return names


def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    address: str,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Request:
    """A request for `url` over a connection to `address`, keeping the hostname for the `Host`
    header, SNI and the certificate check."""
    return client.build_request(
        method,
        url.copy_with(host=address),
        headers={**(headers or {}), "Host": url.netloc.decode("ascii")},
        content=content,
        extensions={"sni_hostname": url.raw_host.decode("ascii")},
    )
