"""Where ``[state] url`` points: one Redis, a Redis Cluster, or a Sentinel-managed master.

Pure parsing (no I/O, no redis import), so the config loader can reject a bad URL with its key
path before anything connects. Accepted forms::

    redis://[[user]:password@]host[:port][/db]          one server (rediss:// for TLS)
    unix:///path/to/redis.sock?db=0                     one server on a Unix socket
    redis+cluster://[[user]:password@]h1:p1[,h2:p2…]    Redis Cluster seed nodes (rediss+cluster)
    ["redis://h1:p1", "redis://h2:p2", …]               the same, as a TOML list
    redis+sentinel://[[user]:password@]s1:p1[,s2:p2…]/service[/db][?sentinel_password=…]

Credentials in the URL belong to the Redis servers (with Sentinel: to the master; the sentinels'
own password goes in ``sentinel_password``). Error messages never repeat a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote

__all__ = ("RedisTarget", "parse_state_url")

Kind = Literal["single", "cluster", "sentinel"]

_SINGLE = ("redis", "rediss", "unix")
_DEFAULT_PORT = {"single": 6379, "cluster": 6379, "sentinel": 26379}


@dataclass(frozen=True)
class RedisTarget:
    """A parsed ``[state] url``."""

    kind: Kind
    url: str = ""
    """For ``single``: the URL itself (redis-py reads it)."""
    nodes: tuple[tuple[str, int], ...] = ()
    """Cluster seed nodes or sentinels, as ``(host, port)``."""
    service: str = ""
    """Sentinel: the monitored master's name."""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    ssl: bool = False

    def describe(self) -> str:
        """Where this points, without credentials (for logs and ``/readyz``)."""
        if self.kind == "single":
            return _strip_credentials(self.url)
        hosts = ",".join(f"{h}:{p}" for h, p in self.nodes)
        if self.kind == "cluster":
            return f"cluster {hosts}"
        return f"sentinel {hosts} service {self.service} db {self.db}"


def _strip_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path}"


def _split_userinfo(netloc: str) -> tuple[str | None, str | None, str]:
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        return None, None, netloc
    user, colon, password = userinfo.partition(":")
    return (unquote(user) or None), (unquote(password) if colon else None), hosts


def _host_port(item: str, default_port: int) -> tuple[str, int]:
    item = item.strip()
    if item.startswith("["):  # [ipv6]:port
        host, _, rest = item[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = item.rpartition(":") if ":" in item else (item, "", "")
    if not host:
        raise ValueError(f"node {item!r} has no host")
    if not port_text:
        return host, default_port
    if not port_text.isdecimal() or not 0 < int(port_text) < 65536:
        raise ValueError(f"node {item!r} has no valid port")
    return host, int(port_text)


def _nodes(hosts: str, kind: Kind) -> tuple[tuple[str, int], ...]:
    items = [h for h in hosts.split(",") if h.strip()]
    if not items:
        raise ValueError(f"a {kind} URL needs at least one host:port")
    return tuple(_host_port(h, _DEFAULT_PORT[kind]) for h in items)


def _db(text: str) -> int:
    if not text.isdecimal():
        raise ValueError(f"database {text!r} is not a number")
    return int(text)


def _parse_cluster(url: str, ssl: bool) -> RedisTarget:
    rest = url.partition("://")[2]
    netloc, _, path = rest.partition("/")
    path, _, _query = path.partition("?")
    if path.strip("/") not in ("", "0"):
        raise ValueError("Redis Cluster has only database 0")
    user, password, hosts = _split_userinfo(netloc)
    return RedisTarget(
        "cluster", nodes=_nodes(hosts, "cluster"), username=user, password=password, ssl=ssl
    )


def _parse_sentinel(url: str, ssl: bool) -> RedisTarget:
    rest = url.partition("://")[2]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    user, password, hosts = _split_userinfo(netloc)
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError(
            "a Sentinel URL is redis+sentinel://host:port[,host:port…]/service[/db]: "
            "name the monitored master's service"
        )
    params = parse_qs(query, keep_blank_values=True)
    unknown = set(params) - {"sentinel_password"}
    if unknown:
        raise ValueError(f"unknown query parameter(s) {sorted(unknown)}; only sentinel_password")
    sentinel_password = params.get("sentinel_password", [None])[-1]
    return RedisTarget(
        "sentinel",
        nodes=_nodes(hosts, "sentinel"),
        service=unquote(parts[0]),
        db=_db(parts[1]) if len(parts) == 2 else 0,
        username=user,
        password=password,
        sentinel_password=sentinel_password or None,
        ssl=ssl,
    )


def parse_state_url(url: str | list[str]) -> RedisTarget:
    """Parse ``[state] url`` (a string, or a list of cluster nodes).

    Raises:
        ValueError: the URL has an unknown scheme or a malformed part (the message says which,
            never the password).
    """
    if isinstance(url, list):
        if not url:
            raise ValueError("expected at least one node")
        creds = [_split_userinfo(u.partition("://")[2].partition("/")[0]) for u in url]
        schemes = {u.partition("://")[0] if "://" in u else "redis" for u in url}
        if not schemes <= {"redis", "rediss"} or len(schemes) > 1:
            raise ValueError("a list of nodes takes redis:// (or rediss://) URLs or host:port")
        for u in url:
            path = u.partition("://")[2].partition("/")[2].partition("?")[0]
            if path.strip("/") not in ("", "0"):
                raise ValueError("Redis Cluster has only database 0")
        hosts = ",".join(c[2] if "://" in u else u for c, u in zip(creds, url, strict=True))
        user, password = next(((c[0], c[1]) for c in creds if c[0] or c[1]), (None, None))
        return RedisTarget(
            "cluster",
            nodes=_nodes(hosts, "cluster"),
            username=user,
            password=password,
            ssl=schemes == {"rediss"},
        )
    scheme, sep, _ = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ValueError("expected a URL such as redis://host:6379/0")
    if scheme in _SINGLE:
        host_part = url.partition("://")[2].partition("/")[0].rpartition("@")[2]
        if scheme != "unix" and not host_part:
            raise ValueError("the URL has no host")
        return RedisTarget("single", url=url, ssl=scheme == "rediss")
    if scheme in ("redis+cluster", "rediss+cluster"):
        return _parse_cluster(url, scheme.startswith("rediss"))
    if scheme in ("redis+sentinel", "rediss+sentinel"):
        return _parse_sentinel(url, scheme.startswith("rediss"))
    raise ValueError(
        f"unknown scheme {scheme!r}: use redis://, rediss://, unix://, redis+cluster:// "
        "or redis+sentinel://"
    )
