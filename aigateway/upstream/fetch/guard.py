"""The SSRF guard of the fetcher: which addresses a caller's URL may make the gateway dial.

The host is resolved **once per connection**, every resolved address is checked against
loopback, private, link-local, CGNAT, multicast, unspecified, reserved and cloud metadata ranges
(IPv4 and IPv6, including IPv4 embedded in IPv6), and the socket is opened to that very address.
The check lives in an httpcore network backend (:class:`GuardedBackend`), i.e. at the only place
a TCP connection is made, so a DNS answer cannot change between "check" and "connect" (no DNS
rebinding) and every redirect hop passes through it. The URL, and therefore the ``Host`` header
and TLS SNI/certificate check, keep the original host name.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import httpcore

from ...config import FetchConfig

__all__ = (
    "Guard",
    "GuardedBackend",
    "Refused",
    "Resolver",
    "Unresolvable",
    "classify_address",
    "system_resolver",
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``async (host, port) -> [ip, ...]``: how the fetcher turns a host name into addresses."""

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


class Refused(Exception):
    """The guard refused a host: ``host`` resolved to ``ip``, which is ``why``."""

    def __init__(self, host: str, ip: str, why: str) -> None:
        super().__init__(f"{host} -> {ip}: {why}")
        self.host, self.ip, self.why = host, ip, why


class Unresolvable(Exception):
    """The host name does not exist (NXDOMAIN-like): the caller's URL is wrong."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class Guard:
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
                raise Refused(host, str(ip), why)

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to dial for ``host`` (raises :class:`Refused`)."""
        literal = _parse_ip(host)
        if literal is not None:
            self.check_literal(host)
            return [str(literal)]
        try:
            ips = await self.resolver(host, port)
        except socket.gaierror as exc:
            if exc.errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}:
                raise Unresolvable(host) from None
            raise httpcore.ConnectError(f"could not resolve {host}: {exc.strerror}") from None
        if not ips:
            raise Unresolvable(host)
        if not self.exempt(host):
            # One bad record refuses the host: an attacker controlling DNS must not be able to
            # mix a public address (to pass) with a private one (to be dialled on retry).
            for ip in ips:
                parsed = _parse_ip(ip.split("%", 1)[0])
                why = "an unparseable address" if parsed is None else classify_address(parsed)
                if why is not None:
                    raise Refused(host, ip, why)
        return ips


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that dials only addresses the guard has checked.

    httpcore hands us the URL's host name; we resolve it ourselves, check the result and connect
    to the checked IP. TLS is started afterwards by httpcore with ``server_hostname`` set to the
    original host, so SNI and certificate verification are unaffected by the pinning.
    """

    def __init__(self, guard: Guard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
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
