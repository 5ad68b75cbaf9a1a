"""Importing from a URL: SSRF protection per hop, pinned connections, byte and time caps.

DNS is answered by a fake resolver and HTTP by respx (which refuses any request it was not told
about, so nothing leaves the machine), except in the pinned-connection tests, which run a real
TLS server on 127.0.0.1 with a certificate for a made-up hostname.
"""

import asyncio
import datetime
import ipaddress
import re
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from functions.media.adapters import fetcher
from functions.media.adapters.fetcher import FetchRefused, TooLarge
from functions.shared.destinations import Resolver, address_refusal
from tests.media.library_world import Library, jpeg, object_keys, read_object

PUBLIC = "93.184.216.34"  # never contacted: respx answers every request


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def resolver(answers: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        assert port == 443
        if host not in answers:
            raise OSError(f"no such host {host}")
        return answers[host]

    return resolve


async def fetch(url: str, tmp_path: Path, answers: dict[str, list[str]], **caps: Any) -> Any:
    return await fetcher.fetch(
        url,
        tmp_path / "download",
        max_bytes=caps.get("max_bytes", 10_000_000),
        timeout_seconds=caps.get("timeout_seconds", 5.0),
        resolver=resolver(answers),
    )


@pytest.fixture
def web() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


# Which addresses ----------------------------------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.5", "private network"),
    ("172.16.5.4", "private network"),
    ("172.31.255.255", "private network"),
    ("192.168.1.1", "private network"),
    ("169.254.169.254", "link-local"),  # the EC2 and Lambda metadata services
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, not to bind
    ("0.1.2.3", "reserved or special-purpose"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("255.255.255.255", "reserved or special-purpose"),
    ("192.0.2.10", "reserved or special-purpose"),
    ("198.18.0.1", "reserved or special-purpose"),
    ("240.0.0.1", "reserved or special-purpose"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private network"),
    ("fd12:3456::1", "private network"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "reserved or special-purpose"),
    ("::ffff:127.0.0.1", "embedding a loopback"),
    ("::ffff:169.254.169.254", "embedding a link-local"),
    ("::ffff:10.0.0.1", "embedding a private network"),
    ("64:ff9b::a9fe:a9fe", "embedding a link-local"),  # NAT64 of 169.254.169.254
    ("2002:c0a8:101::1", "embedding a private network"),  # 6to4 of 192.168.1.1
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))

    assert refusal is not None
    assert reason in refusal


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.anyio
@pytest.mark.parametrize(("address", "reason"), REFUSED)
async def test_a_host_resolving_to_a_non_public_address_is_never_contacted(
    web: respx.MockRouter, tmp_path: Path, address: str, reason: str
) -> None:
    with pytest.raises(FetchRefused, match=rf"resolves to {re.escape(address)}, .*{reason}"):
        await fetch("https://media.example/a.jpg", tmp_path, {"media.example": [address]})

    assert not web.calls


@pytest.mark.anyio
async def test_every_address_of_the_answer_is_checked(
    web: respx.MockRouter, tmp_path: Path
) -> None:
    answers = {"media.example": [PUBLIC, "10.0.0.7"]}

    with pytest.raises(FetchRefused, match=r"resolves to 10\.0\.0\.7"):
        await fetch("https://media.example/a.jpg", tmp_path, answers)

    assert not web.calls


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/a.jpg", "https://[::1]/a.jpg", "https://169.254.169.254/latest/"]
)
async def test_address_literals_are_checked_too(
    web: respx.MockRouter, tmp_path: Path, url: str
) -> None:
    with pytest.raises(FetchRefused, match="resolves to"):
        await fetch(url, tmp_path, {})

    assert not web.calls


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://media.example/a.jpg", "only https"),
        ("ftp://media.example/a.jpg", "only https"),
        ("file:///etc/passwd", "only https"),
        ("https://user:secret@media.example/a.jpg", "user name or password"),
        ("https://media.example:8443/a.jpg", "standard https port"),
        ("https:///a.jpg", "names no host"),
        ("not a url", "only https"),
    ],
)
async def test_only_plain_https_urls_are_fetched(
    web: respx.MockRouter, tmp_path: Path, url: str, reason: str
) -> None:
    with pytest.raises(FetchRefused, match=reason):
        await fetch(url, tmp_path, {"media.example": [PUBLIC]})

    assert not web.calls


@pytest.mark.anyio
async def test_an_unknown_host_is_refused(web: respx.MockRouter, tmp_path: Path) -> None:
    with pytest.raises(FetchRefused, match="could not be found"):
        await fetch("https://nowhere.example/a.jpg", tmp_path, {})


# The request and redirects ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_request_goes_to_the_checked_address_with_the_hostname_kept(
    web: respx.MockRouter, tmp_path: Path
) -> None:
    route = web.get(f"https://{PUBLIC}/photos/beach%20day.jpg?size=large").respond(
        200, content=b"\xff\xd8\xffpicture", headers={"Content-Type": "image/jpeg"}
    )

    fetched = await fetch(
        "https://cdn.example.com/photos/beach%20day.jpg?size=large",
        tmp_path,
        {"cdn.example.com": [PUBLIC]},
    )

    request = route.calls.last.request
    assert request.headers["host"] == "cdn.example.com"
    assert request.extensions["sni_hostname"] == "cdn.example.com"
    assert request.headers["accept-encoding"] == "identity"
    assert fetched.path.read_bytes() == b"\xff\xd8\xffpicture"
    assert (fetched.size, fetched.filename) == (10, "beach day.jpg")
    assert fetched.url == "https://cdn.example.com/photos/beach%20day.jpg?size=large"


@pytest.mark.anyio
async def test_an_ipv6_address_is_pinned_in_brackets(web: respx.MockRouter, tmp_path: Path) -> None:
    route = web.get("https://[2606:4700::6810:84e5]/a.jpg").respond(200, content=b"x")

    await fetch(
        "https://cdn.example.com/a.jpg", tmp_path, {"cdn.example.com": ["2606:4700::6810:84e5"]}
    )

    assert route.calls.last.request.headers["host"] == "cdn.example.com"


@pytest.mark.anyio
async def test_redirects_are_followed_with_each_hop_checked(
    web: respx.MockRouter, tmp_path: Path
) -> None:
    web.get(f"https://{PUBLIC}/short").respond(
        301, headers={"Location": "https://files.example/a/b"}
    )
    web.get("https://203.0.114.9/a/b").respond(302, headers={"Location": "../c.jpg?x=1"})
    final = web.get("https://203.0.114.9/c.jpg?x=1").respond(
        200,
        content=b"image",
        headers={"Content-Disposition": 'attachment; filename="Team photo.jpg"'},
    )
    answers = {"sho.rt": [PUBLIC], "files.example": ["203.0.114.9"]}

    fetched = await fetch("https://sho.rt/short", tmp_path, answers)

    assert final.calls.last.request.headers["host"] == "files.example"
    assert (fetched.url, fetched.filename) == ("https://files.example/c.jpg?x=1", "Team photo.jpg")


@pytest.mark.anyio
async def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(
    web: respx.MockRouter, tmp_path: Path
) -> None:
    web.get(f"https://{PUBLIC}/a.jpg").respond(
        302, headers={"Location": "https://intranet.example/admin"}
    )
    answers = {"media.example": [PUBLIC], "intranet.example": ["10.20.30.40"]}

    with pytest.raises(FetchRefused, match=r"intranet\.example resolves to 10\.20\.30\.40"):
        await fetch("https://media.example/a.jpg", tmp_path, answers)

    assert [str(call.request.url) for call in web.calls] == [f"https://{PUBLIC}/a.jpg"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://media.example/b.jpg", "only https"),
        ("https://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254"),
        ("https://[::ffff:127.0.0.1]/", "resolves to ::ffff:127.0.0.1"),
    ],
)
async def test_a_redirect_must_pass_the_same_checks(
    web: respx.MockRouter, tmp_path: Path, location: str, reason: str
) -> None:
    web.get(f"https://{PUBLIC}/a.jpg").respond(307, headers={"Location": location})

    with pytest.raises(FetchRefused, match=reason):
        await fetch("https://media.example/a.jpg", tmp_path, {"media.example": [PUBLIC]})

    assert len(web.calls) == 1


@pytest.mark.anyio
async def test_at_most_five_redirects_are_followed(web: respx.MockRouter, tmp_path: Path) -> None:
    for hop in range(7):
        web.get(f"https://{PUBLIC}/{hop}").respond(302, headers={"Location": f"/{hop + 1}"})

    with pytest.raises(FetchRefused, match="redirects more than 5 times"):
        await fetch("https://media.example/0", tmp_path, {"media.example": [PUBLIC]})

    assert len(web.calls) == 6


@pytest.mark.anyio
async def test_an_error_answer_is_refused(web: respx.MockRouter, tmp_path: Path) -> None:
    web.get(f"https://{PUBLIC}/a.jpg").respond(404)

    with pytest.raises(FetchRefused, match="answered 404"):
        await fetch("https://media.example/a.jpg", tmp_path, {"media.example": [PUBLIC]})


# Caps -------------------------------------------------------------------------------------------


class Dribble(httpx.AsyncByteStream):
    """A body sent in chunks, with a pause before each (and no Content-Length)."""

    def __init__(self, chunks: int, size: int, pause: float = 0.0) -> None:
        self.chunks, self.size, self.pause = chunks, size, pause
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            await asyncio.sleep(self.pause)
            self.sent += 1
            yield b"x" * self.size


def streaming(response: httpx.Response) -> httpx.MockTransport:
    """A transport answering every request with `response`, its body read only as it streams
    (respx reads a mocked body whole before answering)."""
    return httpx.MockTransport(lambda _request: response)


async def fetch_streaming(tmp_path: Path, response: httpx.Response, **caps: Any) -> fetcher.Fetched:
    return await fetcher.fetch(
        "https://media.example/big",
        tmp_path / "download",
        max_bytes=caps.get("max_bytes", 50_000),
        timeout_seconds=caps.get("timeout_seconds", 5.0),
        resolver=resolver({"media.example": [PUBLIC]}),
        transport=streaming(response),
    )


@pytest.mark.anyio
async def test_a_declared_length_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    body = Dribble(chunks=100, size=1000)
    response = httpx.Response(200, headers={"Content-Length": "100000"}, stream=body)

    with pytest.raises(TooLarge, match="larger than the 50000 bytes"):
        await fetch_streaming(tmp_path, response)

    assert body.sent == 0


@pytest.mark.anyio
async def test_a_stream_past_the_cap_is_cut_off(tmp_path: Path) -> None:
    body = Dribble(chunks=1000, size=1000)

    with pytest.raises(TooLarge):
        await fetch_streaming(tmp_path, httpx.Response(200, stream=body))

    assert body.sent == 51  # stopped at the first chunk past the cap


@pytest.mark.anyio
async def test_a_body_within_the_cap_is_kept_whole(tmp_path: Path) -> None:
    fetched = await fetch_streaming(tmp_path, httpx.Response(200, stream=Dribble(50, 1000)))

    assert fetched.size == 50_000
    assert fetched.path.read_bytes() == b"x" * 50_000


@pytest.mark.anyio
async def test_the_whole_fetch_has_a_time_cap(tmp_path: Path) -> None:
    body = Dribble(chunks=100, size=10, pause=0.1)  # 10 s in all, a little at a time
    started = asyncio.get_running_loop().time()

    with pytest.raises(FetchRefused, match=r"took longer than 0\.5 s"):
        await fetch_streaming(tmp_path, httpx.Response(200, stream=body), timeout_seconds=0.5)

    assert asyncio.get_running_loop().time() - started < 1.5
    assert 3 <= body.sent <= 6


# A real pinned connection -----------------------------------------------------------------------


def certificate_for(hostname: str) -> tuple[bytes, bytes, bytes]:
    """A test CA and a server certificate it signs for `hostname`: (CA PEM, cert PEM, key PEM)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Herald test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(pem), server.public_bytes(pem), key_pem


class TlsServer:
    """An HTTPS server on 127.0.0.1 that records the SNI and Host of each request."""

    def __init__(self, hostname: str, tmp_path: Path) -> None:
        ca, cert, key = certificate_for(hostname)
        (tmp_path / "cert.pem").write_bytes(cert)
        (tmp_path / "key.pem").write_bytes(key)
        self.client_context = ssl.create_default_context(cadata=ca.decode())
        self.seen: list[tuple[str | None, str | None]] = []
        server_names: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        context.sni_callback = lambda _socket, name, _context: server_names.append(name)
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((server_names[-1] if server_names else None, self.headers["Host"]))
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")

            def log_message(self, *_: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.socket = context.wrap_socket(self.http.socket, server_side=True)
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    server = TlsServer("media.test", tmp_path)
    yield server
    server.stop()


@pytest.mark.anyio
async def test_a_pinned_connection_reaches_the_address_but_speaks_tls_to_the_hostname(
    tls_server: TlsServer,
) -> None:
    # media.test resolves nowhere: the only way to reach the server is the pinned address.
    url = httpx.URL(f"https://media.test:{tls_server.port}/file.jpg")
    async with httpx.AsyncClient(verify=tls_server.client_context, trust_env=False) as client:
        response = await fetcher.open_pinned(client, url, "127.0.0.1")
        body = await response.aread()
        await response.aclose()

    assert (response.status_code, body) == (200, b"hello")
    assert tls_server.seen == [("media.test", f"media.test:{tls_server.port}")]


@pytest.mark.anyio
async def test_the_certificate_must_match_the_hostname_not_the_address(
    tls_server: TlsServer,
) -> None:
    url = httpx.URL(f"https://other.test:{tls_server.port}/file.jpg")
    async with httpx.AsyncClient(verify=tls_server.client_context, trust_env=False) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetcher.open_pinned(client, url, "127.0.0.1")

    assert tls_server.seen == []


# The import endpoint ----------------------------------------------------------------------------


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The answers of the system resolver, as the import endpoint sees it."""
    answers: dict[str, list[str]] = {}
    monkeypatch.setattr(fetcher, "system_resolve", resolver(answers))
    return answers


def import_url(library: Library, url: str, **fields: Any) -> Any:
    return library.client.post(
        "/v1/media/import", json={"url": url, **fields}, headers=library.headers
    )


def test_an_image_is_imported_into_the_library(
    library: Library, web: respx.MockRouter, dns: dict[str, list[str]]
) -> None:
    dns["cdn.example.com"] = [PUBLIC]
    picture = jpeg(1200, 800)
    route = web.get(f"https://{PUBLIC}/img/hero.jpg").respond(
        200, content=picture, headers={"Content-Type": "application/octet-stream"}
    )

    response = import_url(library, "https://cdn.example.com/img/hero.jpg")

    assert response.status_code == 201, response.text
    asset = response.json()
    assert (asset["name"], asset["kind"], asset["content_type"]) == (
        "hero.jpg",
        "image",
        "image/jpeg",
    )
    assert (asset["width"], asset["height"], asset["size_bytes"]) == (1200, 800, len(picture))
    assert route.calls.last.request.headers["host"] == "cdn.example.com"
    folder = f"workspaces/{library.workspace_id}/media/{asset['id']}"
    assert read_object(f"{folder}/original") == (picture, "image/jpeg")
    assert object_keys(library.workspace_id) == {f"{folder}/original", f"{folder}/thumbnail.jpg"}
    usage = library.client.get("/v1/media/usage", headers=library.headers).json()
    assert usage["used_bytes"] == len(picture)


def test_an_imported_name_can_be_given(
    library: Library, web: respx.MockRouter, dns: dict[str, list[str]]
) -> None:
    dns["cdn.example.com"] = [PUBLIC]
    web.get(f"https://{PUBLIC}/download").respond(200, content=jpeg())

    response = import_url(library, "https://cdn.example.com/download", name="Launch banner.jpg")

    assert response.json()["name"] == "Launch banner.jpg"


def test_an_import_resolving_to_a_private_address_is_a_422_on_the_url(
    library: Library, web: respx.MockRouter, dns: dict[str, list[str]]
) -> None:
    dns["metadata.example"] = ["169.254.169.254"]

    response = import_url(library, "https://metadata.example/latest/meta-data/iam/")

    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["pointer"] == "/body/url"
    assert "metadata.example resolves to 169.254.169.254" in problem["detail"]
    assert not web.calls
    assert object_keys(library.workspace_id) == set()


def test_an_import_redirected_to_a_private_address_is_refused(
    library: Library, web: respx.MockRouter, dns: dict[str, list[str]]
) -> None:
    dns |= {"cdn.example.com": [PUBLIC], "internal.example": ["192.168.0.10"]}
    web.get(f"https://{PUBLIC}/a.jpg").respond(
        302, headers={"Location": "https://internal.example/a.jpg"}
    )

    response = import_url(library, "https://cdn.example.com/a.jpg")

    assert response.status_code == 422
    assert "internal.example resolves to 192.168.0.10" in response.json()["detail"]
    assert len(web.calls) == 1


def test_an_imported_program_is_refused(
    library: Library, web: respx.MockRouter, dns: dict[str, list[str]]
) -> None:
    dns["cdn.example.com"] = [PUBLIC]
    web.get(f"https://{PUBLIC}/photo.jpg").respond(
        200, content=Path("/bin/true").read_bytes()[:4096], headers={"Content-Type": "image/jpeg"}
    )

    response = import_url(library, "https://cdn.example.com/photo.jpg")

    assert response.status_code == 400
    assert response.json()["type"] == "urn:herald:problem:media-rejected"
    assert "an executable program (ELF)" in response.json()["detail"]
    assert object_keys(library.workspace_id) == set()


def test_an_import_is_capped_by_the_quota_left(
    library: Library,
    web: respx.MockRouter,
    dns: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.media.domain import quotas

    monkeypatch.setattr(quotas, "quota_bytes", lambda: 10_000)
    dns["cdn.example.com"] = [PUBLIC]
    body = Dribble(chunks=100, size=1000)
    web.get(f"https://{PUBLIC}/big.jpg").respond(200, stream=body)

    response = import_url(library, "https://cdn.example.com/big.jpg")

    assert response.status_code == 403
    assert response.json()["type"] == "urn:herald:problem:quota"
    assert "10000 bytes left" in response.json()["detail"]
    assert object_keys(library.workspace_id) == set()
