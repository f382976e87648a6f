"""Safe download of document URLs: the SSRF guard, the size cap and the timeouts.

A caller's ``document_url`` makes the gateway open a connection on the caller's behalf, so the
fetcher refuses anything that could reach the gateway's own network:

* only ``http`` and ``https`` URLs;
* the host is resolved **once per connection**, every resolved address is checked against
  loopback, private, link-local, CGNAT, multicast, unspecified, reserved and cloud metadata ranges
  (IPv4 and IPv6, including IPv4 embedded in IPv6), and the socket is opened to that very
  address. The check lives in an httpcore network backend (:class:`_GuardedBackend`), i.e. at the
  only place a TCP connection is made, so a DNS answer cannot change between "check" and
  "connect" (no DNS rebinding) and every redirect hop passes through it. The URL, and therefore
  the ``Host`` header and TLS SNI/certificate check, keep the original host name;
* redirects are followed by hand, up to ``[fetch] max_redirects``;
* the body is capped on *decoded* bytes (a gzip bomb stops at the cap) after a first look at
  ``Content-Length``, and spooled to disk past 1 MiB.

``[fetch] allow_private = true`` disables the address check; ``allow_hosts`` exempts named hosts
(``"docs.internal"`` exactly, ``"*.internal"`` for its subdomains).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import anyio
import httpcore
import httpx

from .blob import Blob, SpoolingWriter
from .config import FetchConfig
from .errors import BadRequestError, PayloadTooLargeError, UpstreamError, UpstreamTimeoutError
from .transport import pooled_transport

__all__ = ("Fetched", "Fetcher", "Resolver", "classify_address", "system_resolver")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``async (host, port) -> [ip, ...]``: how the fetcher turns a host name into addresses."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Instance metadata services answer credentials to anything that can reach them; they are named
# in refusals because "link-local" alone does not tell an operator why it matters.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean …
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6 IMDS
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPAT = ipaddress.ip_network("::/96")

# Media types that say nothing about the document; the caller's type detection (magic bytes)
# must not be overridden by them.
_GENERIC_TYPES = frozenset(
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/download",
        "application/x-download",
        "application/force-download",
        "application/unknown",
    }
)


@dataclass(frozen=True)
class Fetched:
    """A downloaded document."""

    blob: Blob
    content_type: str | None
    """Media type from the response (parameters stripped); ``None`` when absent or generic."""
    filename: str | None
    """From ``Content-Disposition``, else the last segment of the final URL's path."""


def classify_address(addr: IPAddress) -> str | None:
    """Why ``addr`` must not be fetched (e.g. ``"a loopback address"``), or ``None`` if public."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and (addr in _NAT64[0] or addr in _NAT64[1]):
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is None and addr in _V4_COMPAT and int(addr) > 1:
            embedded = ipaddress.IPv4Address(int(addr))
        if embedded is not None:
            inner = classify_address(embedded)
            if inner is not None:
                return f"{inner} embedded in an IPv6 address"
        if addr.teredo is not None:
            return "a Teredo tunnel address"
    if addr in _METADATA:
        return "a cloud metadata address"
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_unspecified:
        return "an unspecified address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "a carrier-grade NAT address"
    if addr.is_private:
        return "a private address"
    if addr.is_reserved:
        return "a reserved address"
    if not addr.is_global:
        return "a non-public address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver; addresses in resolver order, deduplicated."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        ip = str(info[4][0])
        if ip not in out:
            out.append(ip)
    return out


class _Refused(Exception):
    """The guard refused a host: ``host`` resolved to ``ip``, which is ``why``."""

    def __init__(self, host: str, ip: str, why: str) -> None:
        super().__init__(f"{host} -> {ip}: {why}")
        self.host, self.ip, self.why = host, ip, why


class _Unresolvable(Exception):
    """The host name does not exist (NXDOMAIN-like): the caller's URL is wrong."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class _Guard:
    """Resolves a host and checks every address; the single source of the addresses we dial."""

    def __init__(self, config: FetchConfig, resolver: Resolver) -> None:
        self.allow_private = config.allow_private
        self.exact = {h.lower().rstrip(".") for h in config.allow_hosts if not h.startswith("*.")}
        self.suffixes = tuple(
            h[1:].lower().rstrip(".") for h in config.allow_hosts if h.startswith("*.")
        )
        self.resolver = resolver

    def exempt(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return self.allow_private or host in self.exact or host.endswith(self.suffixes or ("\0",))

    def check_literal(self, host: str) -> None:
        """Refuse an IP-literal host before any connection is attempted."""
        ip = _parse_ip(host.strip("[]"))
        if ip is not None and not self.exempt(host):
            why = classify_address(ip)
            if why is not None:
                raise _Refused(host, str(ip), why)

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to dial for ``host`` (raises :class:`_Refused`)."""
        literal = _parse_ip(host)
        if literal is not None:
            self.check_literal(host)
            return [str(literal)]
        try:
            ips = await self.resolver(host, port)
        except socket.gaierror as exc:
            if exc.errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}:
                raise _Unresolvable(host) from None
            raise httpcore.ConnectError(f"could not resolve {host}: {exc.strerror}") from None
        if not ips:
            raise _Unresolvable(host)
        if not self.exempt(host):
            # One bad record refuses the host: an attacker controlling DNS must not be able to
            # mix a public address (to pass) with a private one (to be dialled on retry).
            for ip in ips:
                parsed = _parse_ip(ip.split("%", 1)[0])
                why = "an unparseable address" if parsed is None else classify_address(parsed)
                if why is not None:
                    raise _Refused(host, ip, why)
        return ips


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that dials only addresses the guard has checked.

    httpcore hands us the URL's host name; we resolve it ourselves, check the result and connect
    to the checked IP. TLS is started afterwards by httpcore with ``server_hostname`` set to the
    original host, so SNI and certificate verification are unaffected by the pinning.
    """

    def __init__(self, guard: _Guard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                ips = await self._guard.addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        last: Exception | None = None
        for ip in ips:
            try:
                return await self._inner.connect_tcp(
                    ip,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # ips is never empty
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the fetcher does not open unix sockets")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


def _display(url: httpx.URL) -> str:
    """The URL for messages: no credentials, no query (pre-signed URLs carry secrets there)."""
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    path = url.path if len(url.path) <= 80 else url.path[:77] + "..."
    return f"{url.scheme}://{host}{port}{path}"


_CD_STAR = re.compile(r"filename\*\s*=\s*(?:[\w-]+)?'[^']*'([^;]+)", re.IGNORECASE)
_CD_PLAIN = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))', re.IGNORECASE)


def _filename(response: httpx.Response) -> str | None:
    cd = response.headers.get("content-disposition", "")
    m = _CD_STAR.search(cd)
    name: str | None = None
    if m:
        name = unquote(m.group(1).strip())
    else:
        m = _CD_PLAIN.search(cd)
        if m:
            name = m.group(1) if m.group(1) is not None else m.group(2)
    if not name:
        name = unquote(response.url.path.rsplit("/", 1)[-1])
    # Only the base name: a remote server must not steer anything towards a path.
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def _content_type(response: httpx.Response) -> str | None:
    value = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    if not value or value in _GENERIC_TYPES:
        return None
    return value


class Fetcher:
    """Downloads document URLs for the OCR service with the SSRF guard and limits of ``config``.

    One per app (owned by the registry); it holds one pooled httpx client, closed by
    :meth:`aclose`.
    """

    def __init__(self, config: FetchConfig, *, resolver: Resolver | None = None) -> None:
        self.config = config
        self._guard = _Guard(config, resolver or system_resolver)
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=10, keepalive_expiry=15)
        self._client = httpx.AsyncClient(
            # httpx takes no network backend: the shared builder swaps in a pool on ours.
            transport=pooled_transport(limits, _GuardedBackend(self._guard)),
            timeout=httpx.Timeout(
                config.read_timeout,
                connect=config.connect_timeout,
                pool=config.connect_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
            # No br/zstd: only encodings we can inflate with a bounded output (see _read).
            headers={
                "User-Agent": "aigateway-fetch",
                "Accept": "*/*",
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def _parse(self, raw: str, field: str, *, via: str | None = None) -> httpx.URL:
        what = f"{field} redirects to a URL that" if via else field
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise BadRequestError(f"{what} is not a valid URL ({exc})", param=field) from None
        if url.scheme not in ("http", "https"):
            shown = url.scheme or "no scheme"
            raise BadRequestError(
                f"{what} must be an http(s) URL (got {shown}); send other documents inline "
                "as base64 or a data URI",
                param=field,
            )
        if not url.host:
            raise BadRequestError(f"{what} has no host", param=field)
        try:
            self._guard.check_literal(url.host)
        except _Refused as exc:
            raise self._refusal(field, exc, via=via) from None
        return url

    @staticmethod
    def _refusal(field: str, exc: _Refused, *, via: str | None) -> BadRequestError:
        host = exc.host.strip("[]")
        subject = f"{field} redirects (from {via}) to {host}, which" if via else field
        if host == exc.ip:
            what = f"points to {exc.ip}, {exc.why}" if not via else f"is {exc.why}"
        else:
            what = f"resolves to {exc.ip}, {exc.why}"
        return BadRequestError(
            f"{subject} {what}; the gateway does not fetch private addresses",
            param=field,
            code="url_not_allowed",
        )

    async def fetch(self, url: str, *, max_bytes: int, field: str) -> Fetched:
        """Download ``url`` (at most ``max_bytes`` decoded bytes).

        Raises:
            BadRequestError: invalid or refused URL, remote 4xx, too many redirects (``param`` is
                ``field``).
            PayloadTooLargeError: the document is larger than ``max_bytes``.
            UpstreamError: remote 5xx, connection failure, malformed response.
            UpstreamTimeoutError: the remote did not answer in time.
        """
        current = self._parse(url, field)
        try:
            with anyio.fail_after(self.config.total_timeout):
                return await self._follow(current, max_bytes, field)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"{field}: the download did not finish within {self.config.total_timeout:g} s"
            ) from None

    async def post(
        self, url: str, body: bytes, *, headers: dict[str, str], field: str = "webhook_url"
    ) -> int:
        """POST ``body`` to ``url`` through the same guard (webhooks); returns the status.

        Redirects are not followed (a POST must not be replayed elsewhere): a 3xx is returned
        as it is. At most 64 KiB of the answer is read, then the connection is closed.

        Raises:
            BadRequestError: invalid or refused URL (``param`` is ``field``).
            UpstreamError: connection failure.
            UpstreamTimeoutError: no answer within ``[fetch] total_timeout``.
        """
        target = self._parse(url, field)
        shown = _display(target)
        request = self._client.build_request(
            "POST", target, content=body, headers={"Accept-Encoding": "identity", **headers}
        )
        try:
            with anyio.fail_after(self.config.total_timeout):
                try:
                    response = await self._client.send(request, stream=True)
                except _Refused as exc:
                    raise self._refusal(field, exc, via=None) from None
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > 65536:
                            break
                finally:
                    await response.aclose()
                return response.status_code
        except TimeoutError:
            raise UpstreamTimeoutError(f"{field}: {shown} did not answer in time") from None
        except _Unresolvable as exc:
            raise BadRequestError(
                f"{field}: the host {exc.host} does not resolve", param=field
            ) from None
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(f"{field}: {shown} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"{field}: posting to {shown} failed ({type(exc).__name__})"
            ) from None

    async def _follow(self, current: httpx.URL, max_bytes: int, field: str) -> Fetched:
        via: str | None = None
        try:
            for _hop in range(self.config.max_redirects + 1):
                shown = _display(current)
                try:
                    response = await self._client.send(
                        self._client.build_request("GET", current), stream=True
                    )
                except _Refused as exc:
                    raise self._refusal(field, exc, via=via) from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        via = shown
                        try:
                            target = current.join(location)
                        except (httpx.InvalidURL, ValueError):
                            target = None
                        if target is None:
                            raise BadRequestError(
                                f"{field}: {shown} redirects to an invalid URL", param=field
                            )
                        current = self._parse(str(target), field, via=via)
                        continue
                    self._check_status(response, field, shown)
                    return await self._read(response, max_bytes, field, shown)
                finally:
                    await response.aclose()
            raise BadRequestError(
                f"{field}: more than {self.config.max_redirects} redirects (last: {via})",
                param=field,
                code="too_many_redirects",
            )
        except _Unresolvable as exc:
            raise BadRequestError(
                f"{field}: the host {exc.host} does not resolve", param=field
            ) from None
        except httpx.TimeoutException:
            raise UpstreamTimeoutError(
                f"{field}: {_display(current)} did not answer in time"
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"{field}: downloading {_display(current)} failed ({type(exc).__name__})"
            ) from None

    @staticmethod
    def _check_status(response: httpx.Response, field: str, shown: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = response.reason_phrase or ""
        if 400 <= status < 500:
            raise BadRequestError(
                f"{field}: {shown} answered {status} {reason}".rstrip(),
                param=field,
                code="url_fetch_failed",
            )
        raise UpstreamError(f"{field}: {shown} answered {status} {reason}".rstrip())

    @staticmethod
    async def _read(response: httpx.Response, max_bytes: int, field: str, shown: str) -> Fetched:
        def too_large() -> PayloadTooLargeError:
            return PayloadTooLargeError(
                f"{field}: the document at {shown} is larger than the limit of {max_bytes} bytes",
                param=field,
            )

        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large()
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise BadRequestError(
                f"{field}: the server at {shown} sent Content-Encoding {encoding!r}, which the "
                "gateway does not decode",
                param=field,
            )
        writer = SpoolingWriter()
        # Decompressed here, not by httpx, so every step is bounded: zlib never returns more
        # than the room left under the cap, and a gzip bomb stops at max_bytes + 1 bytes.
        inflate = zlib.decompressobj(47) if encoding not in ("", "identity") else None
        try:
            async for raw in response.aiter_raw():
                if inflate is None:
                    chunk = raw
                else:
                    try:
                        chunk = inflate.decompress(raw, max_bytes - writer.size + 1)
                        while inflate.unconsumed_tail and writer.size + len(chunk) <= max_bytes:
                            writer.write(chunk)
                            chunk = inflate.decompress(
                                inflate.unconsumed_tail, max_bytes - writer.size + 1
                            )
                    except zlib.error:
                        raise BadRequestError(
                            f"{field}: the server at {shown} sent a corrupt {encoding} body",
                            param=field,
                        ) from None
                if writer.size + len(chunk) > max_bytes:
                    raise too_large()
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return Fetched(writer.finish(), _content_type(response), _filename(response))
