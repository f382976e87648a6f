"""The safe URL fetcher: SSRF refusals (with proof that nothing was dialled), redirects, limits.

Every connection the fetcher makes goes through ``httpcore.AnyIOBackend.connect_tcp``; the
``dials`` fixture records each address dialled there and refuses (without any traffic) anything
that is not 127.0.0.1, so no test can ever reach a non-loopback address.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpcore
import pytest

from aigateway.config import FetchConfig, parse_config
from aigateway.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UpstreamError,
    UpstreamTimeoutError,
)
from aigateway.ocr.registry import OcrRegistry
from aigateway.upstream.fetch import Fetcher, classify_address
from tests.support.upstreams.server import FakeUpstream, Recorded, Reply, TcpProbe, running

PDF = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"


class Files(FakeUpstream):
    """A file server whose answers are set per path by the tests."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, Reply] = {}

    async def handle(self, req: Recorded) -> Reply:
        return self.routes.get(req.path, Reply(404, "not found"))


@pytest.fixture(scope="module")
def files() -> Iterator[Files]:
    yield from running(Files)


@pytest.fixture
def dials(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Addresses the fetcher dialled; only 127.0.0.1 is actually connected."""
    dialled: list[str] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def connect_tcp(self: Any, host: str, port: int, **kwargs: Any) -> Any:
        dialled.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test: refusing to send traffic to {host}")
        return await original(self, host, port, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    return dialled


@pytest.fixture
def probe() -> Iterator[TcpProbe]:
    p = TcpProbe()
    yield p
    p.close()


def table_resolver(table: dict[str, list[str]], calls: list[str] | None = None) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


async def _fetcher(**config: Any) -> Fetcher:
    resolver = config.pop("resolver", None)
    return Fetcher(FetchConfig(**config), resolver=resolver)


@pytest.fixture
async def open_fetcher() -> AsyncIterator[Fetcher]:
    f = Fetcher(FetchConfig(allow_private=True, read_timeout=1))
    yield f
    await f.aclose()


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            "http://127.0.0.1:8080/a.pdf",
            "document_url points to 127.0.0.1, a loopback address; "
            "the gateway does not fetch private addresses",
            id="loopback",
        ),
        pytest.param("http://10.0.0.1/a.pdf", "10.0.0.1, a private address", id="private"),
        pytest.param(
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254, a cloud metadata address",
            id="metadata",
        ),
        pytest.param("http://[::1]:8080/", "::1, a loopback address", id="ipv6-loopback"),
        pytest.param(
            "http://[::ffff:127.0.0.1]/",
            "a loopback address embedded in an IPv6 address",
            id="ipv4-mapped",
        ),
        pytest.param("http://100.64.1.1/", "a carrier-grade NAT address", id="cgnat"),
        pytest.param("http://0.0.0.0:8080/", "an unspecified address", id="unspecified"),
        pytest.param("http://[fe80::1]/", "a link-local address", id="ipv6-link-local"),
        pytest.param("http://224.0.0.1/", "a multicast address", id="multicast"),
    ],
)
async def test_private_literals_refused_before_any_connection(
    dials: list[str], url: str, message: str
) -> None:
    f = await _fetcher()
    try:
        with pytest.raises(BadRequestError) as info:
            await f.fetch(url, max_bytes=1000, field="document_url")
    finally:
        await f.aclose()
    assert message in info.value.message
    assert info.value.param == "document_url"
    assert info.value.status_code == 400
    assert dials == []


async def test_localhost_name_refused(dials: list[str], probe: TcpProbe) -> None:
    # The real system resolver: localhost resolves to loopback and must be refused.
    f = await _fetcher()
    try:
        with pytest.raises(BadRequestError, match=r"resolves to (127\.0\.0\.1|::1), a loopback"):
            await f.fetch(f"http://localhost:{probe.port}/", max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    assert dials == []
    assert probe.connections() == 0


async def test_name_resolving_to_private_refused(dials: list[str]) -> None:
    calls: list[str] = []
    f = await _fetcher(resolver=table_resolver({"intranet.example": ["10.1.2.3"]}, calls))
    try:
        with pytest.raises(BadRequestError) as info:
            await f.fetch("https://intranet.example/x.pdf", max_bytes=10, field="image_url")
    finally:
        await f.aclose()
    assert info.value.message == (
        "image_url resolves to 10.1.2.3, a private address; "
        "the gateway does not fetch private addresses"
    )
    assert info.value.param == "image_url"
    assert calls == ["intranet.example"]
    assert dials == []


async def test_one_private_record_refuses_the_host(dials: list[str]) -> None:
    f = await _fetcher(resolver=table_resolver({"mixed.example": ["93.184.216.34", "127.0.0.1"]}))
    try:
        with pytest.raises(BadRequestError, match=r"127.0.0.1, a loopback address"):
            await f.fetch("http://mixed.example/", max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    assert dials == []


async def test_redirect_to_private_address_refused(
    files: Files, dials: list[str], probe: TcpProbe
) -> None:
    files.routes["/r1"] = Reply(302, b"", {"location": f"http://127.0.0.1:{probe.port}/secret"})
    files.routes["/r2"] = Reply(307, b"", {"location": f"http://localhost:{probe.port}/secret"})
    files.routes["/r3"] = Reply(301, b"", {"location": "http://metadata.internal/computeMetadata"})
    resolver = table_resolver(
        {
            "allowed.test": ["127.0.0.1"],
            "localhost": ["127.0.0.1"],
            "metadata.internal": ["169.254.169.254"],
        }
    )
    f = await _fetcher(allow_hosts=["allowed.test"], resolver=resolver)
    base = f"http://allowed.test:{files.port}"
    try:
        with pytest.raises(BadRequestError) as info:
            await f.fetch(f"{base}/r1", max_bytes=10, field="document_url")
        assert info.value.message == (
            f"document_url redirects (from {base}/r1) to 127.0.0.1, which is a loopback "
            "address; the gateway does not fetch private addresses"
        )
        with pytest.raises(BadRequestError, match=r"which resolves to .*loopback"):
            await f.fetch(f"{base}/r2", max_bytes=10, field="document_url")
        with pytest.raises(BadRequestError, match=r"169.254.169.254, a cloud metadata address"):
            await f.fetch(f"{base}/r3", max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    # Only the allowed first hop was ever dialled; the private target saw no connection.
    assert set(dials) == {"127.0.0.1"}
    assert probe.connections() == 0
    assert [r.path for r in files.requests[-3:]] == ["/r1", "/r2", "/r3"]


async def test_connection_pinned_to_checked_address(dials: list[str]) -> None:
    # A rebinding DNS answers a public address first, loopback afterwards. The fetcher resolves
    # once, checks, and dials exactly the checked address.
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 1)]

    f = await _fetcher(resolver=rebinding)
    try:
        with pytest.raises(UpstreamError):
            await f.fetch("http://rebind.example/doc.pdf", max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    assert dials == ["93.184.216.34"]
    assert calls == ["rebind.example"]


async def test_host_header_kept_while_connecting_to_pinned_ip(
    files: Files, dials: list[str]
) -> None:
    files.routes["/doc.pdf"] = Reply(200, PDF, {"content-type": "application/pdf"})
    f = await _fetcher(
        allow_hosts=["*.docs.test"], resolver=table_resolver({"a.docs.test": ["127.0.0.1"]})
    )
    try:
        got = await f.fetch(
            f"http://a.docs.test:{files.port}/doc.pdf", max_bytes=10**6, field="document_url"
        )
    finally:
        await f.aclose()
    assert got.blob.read() == PDF
    assert files.requests[-1].headers["host"] == f"a.docs.test:{files.port}"
    assert dials == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "match"),
    [
        pytest.param("file:///etc/passwd", "must be an http\\(s\\) URL \\(got file\\)", id="file"),
        pytest.param("ftp://example.com/a.pdf", "got ftp", id="ftp"),
        pytest.param("gopher://127.0.0.1:6379/", "got gopher", id="gopher"),
        pytest.param("http:///nohost", "has no host", id="no-host"),
        pytest.param("just text", "must be an http", id="no-scheme"),
    ],
)
async def test_invalid_urls(dials: list[str], url: str, match: str) -> None:
    f = await _fetcher()
    try:
        with pytest.raises(BadRequestError, match=match) as info:
            await f.fetch(url, max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    assert info.value.param == "document_url"
    assert dials == []


async def test_unknown_host_is_a_400(dials: list[str]) -> None:
    f = await _fetcher(resolver=table_resolver({}))
    try:
        with pytest.raises(BadRequestError, match=r"the host nowhere.example does not resolve"):
            await f.fetch("http://nowhere.example/", max_bytes=10, field="document_url")
    finally:
        await f.aclose()
    assert dials == []


def test_classify_address() -> None:
    def why(a: str) -> str | None:
        return classify_address(ipaddress.ip_address(a))

    assert why("93.184.216.34") is None
    assert why("2606:2800:220:1::1") is None
    assert why("192.168.1.1") == "a private address"
    assert why("fd00:ec2::254") == "a cloud metadata address"
    assert why("fc00::1") == "a private address"
    assert why("2002:7f00:1::1") == "a loopback address embedded in an IPv6 address"
    assert why("64:ff9b::a9fe:a9fe") == "a cloud metadata address embedded in an IPv6 address"
    assert why("::127.0.0.1") == "a loopback address embedded in an IPv6 address"
    assert why("255.255.255.255") is not None
    assert why("198.18.0.1") is not None


# --- downloads ------------------------------------------------------------------------------


async def test_download_with_type_and_filename(files: Files, open_fetcher: Fetcher) -> None:
    files.routes["/files/report.pdf"] = Reply(
        200, PDF, {"content-type": "application/pdf; charset=binary"}
    )
    files.routes["/dl"] = Reply(
        200,
        PDF,
        {
            "content-type": "application/octet-stream",
            "content-disposition": "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        },
    )
    got = await open_fetcher.fetch(
        f"{files.url}/files/report.pdf?sig=secret", max_bytes=len(PDF), field="document_url"
    )
    assert got.blob.read() == PDF
    assert (got.content_type, got.filename) == ("application/pdf", "report.pdf")
    got = await open_fetcher.fetch(f"{files.url}/dl", max_bytes=10**6, field="document_url")
    assert (got.content_type, got.filename) == (None, "résumé.pdf")


async def test_redirects_followed_then_capped(files: Files) -> None:
    files.routes["/doc.pdf"] = Reply(200, PDF, {"content-type": "application/pdf"})
    files.routes["/a"] = Reply(302, b"", {"location": "/b"})
    files.routes["/b"] = Reply(308, b"", {"location": f"{files.url}/doc.pdf"})
    files.routes["/loop"] = Reply(302, b"", {"location": "/loop"})
    f = await _fetcher(allow_private=True, max_redirects=2)
    try:
        got = await f.fetch(f"{files.url}/a", max_bytes=10**6, field="document_url")
        assert got.blob.read() == PDF
        assert got.filename == "doc.pdf"
        with pytest.raises(BadRequestError, match="more than 2 redirects"):
            await f.fetch(f"{files.url}/loop", max_bytes=10**6, field="document_url")
    finally:
        await f.aclose()


async def test_content_length_over_limit(files: Files, open_fetcher: Fetcher) -> None:
    files.routes["/big"] = Reply(200, b"x" * 5000)
    with pytest.raises(PayloadTooLargeError, match="larger than the limit of 4999 bytes") as info:
        await open_fetcher.fetch(f"{files.url}/big", max_bytes=4999, field="document_url")
    assert info.value.status_code == 413
    got = await open_fetcher.fetch(f"{files.url}/big", max_bytes=5000, field="document_url")
    assert got.blob.size == 5000


async def test_gzip_bomb_stopped_on_decoded_bytes(files: Files, open_fetcher: Fetcher) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    files.routes["/bomb"] = Reply(200, bomb, {"content-encoding": "gzip"})
    with pytest.raises(PayloadTooLargeError):
        await open_fetcher.fetch(f"{files.url}/bomb", max_bytes=1_000_000, field="document_url")


async def test_gzip_and_deflate_bodies_are_inflated(files: Files, open_fetcher: Fetcher) -> None:
    import zlib

    files.routes["/gz"] = Reply(200, gzip.compress(PDF), {"content-encoding": "gzip"})
    files.routes["/zz"] = Reply(200, zlib.compress(PDF), {"content-encoding": "deflate"})
    for path in ("/gz", "/zz"):
        got = await open_fetcher.fetch(f"{files.url}{path}", max_bytes=10**6, field="document_url")
        assert got.blob.read() == PDF
        got.blob.close()
    # Exactly at the cap is fine; one byte over is not, however well it compresses.
    files.routes["/edge"] = Reply(200, gzip.compress(PDF), {"content-encoding": "gzip"})
    got = await open_fetcher.fetch(f"{files.url}/edge", max_bytes=len(PDF), field="document_url")
    got.blob.close()
    with pytest.raises(PayloadTooLargeError):
        await open_fetcher.fetch(f"{files.url}/edge", max_bytes=len(PDF) - 1, field="document_url")


@pytest.mark.parametrize(
    ("body", "encoding", "text"),
    [
        pytest.param(b"not gzip at all", "gzip", "corrupt gzip", id="corrupt"),
        pytest.param(b"whatever", "br", "does not decode", id="brotli"),
    ],
)
async def test_bad_encodings_are_400(
    files: Files, open_fetcher: Fetcher, body: bytes, encoding: str, text: str
) -> None:
    files.routes["/enc"] = Reply(200, body, {"content-encoding": encoding})
    with pytest.raises(BadRequestError) as info:
        await open_fetcher.fetch(f"{files.url}/enc", max_bytes=10**6, field="document_url")
    assert text in info.value.message
    assert info.value.param == "document_url"


async def test_large_download_spools_to_disk(files: Files, open_fetcher: Fetcher) -> None:
    data = bytes(range(256)) * 12_000  # ~3 MB
    files.routes["/large"] = Reply(200, data)
    got = await open_fetcher.fetch(f"{files.url}/large", max_bytes=10**7, field="document_url")
    assert not got.blob.in_memory
    assert got.blob.read() == data
    got.blob.close()


@pytest.mark.parametrize(
    ("reply", "error", "status", "text"),
    [
        pytest.param(Reply(404, "nope"), BadRequestError, 400, "answered 404 Not Found", id="404"),
        pytest.param(Reply(403, "no"), BadRequestError, 400, "answered 403 Forbidden", id="403"),
        pytest.param(Reply(503, "down"), UpstreamError, 502, "answered 503", id="503"),
        pytest.param(
            Reply(200, PDF, delay=2), UpstreamTimeoutError, 504, "did not answer", id="slow"
        ),
    ],
)
async def test_remote_status_and_timeouts(
    files: Files,
    open_fetcher: Fetcher,
    reply: Reply,
    error: type[Exception],
    status: int,
    text: str,
) -> None:
    files.routes["/s"] = reply
    with pytest.raises(error) as info:
        await open_fetcher.fetch(f"{files.url}/s?token=abc", max_bytes=10**6, field="document_url")
    exc: Any = info.value
    assert exc.status_code == status
    assert text in exc.message
    assert "token=abc" not in exc.message


async def test_total_timeout(files: Files) -> None:
    files.routes["/slow"] = Reply(200, PDF, delay=2)
    f = await _fetcher(allow_private=True, read_timeout=30, total_timeout=0.3)
    try:
        with pytest.raises(UpstreamTimeoutError, match=r"within 0.3 s"):
            await f.fetch(f"{files.url}/slow", max_bytes=10**6, field="document_url")
    finally:
        await f.aclose()


async def test_connection_refused_is_a_502(open_fetcher: Fetcher, probe: TcpProbe) -> None:
    port = probe.port
    probe.close()  # nothing listens there any more
    with pytest.raises(UpstreamError, match="failed"):
        await open_fetcher.fetch(f"http://127.0.0.1:{port}/", max_bytes=10, field="document_url")


async def test_registry_owns_the_fetcher() -> None:
    reg = OcrRegistry(parse_config("[fetch]\nallow_private = true\nmax_redirects = 1\n"))
    fetcher = reg.fetcher
    assert fetcher is reg.fetcher
    assert fetcher.config.max_redirects == 1
    await reg.aclose()
