"""``[state] url``: one server, Redis Cluster (URL or list of nodes) and Sentinel; config
validation of the ``[state]`` keys with key paths, and no password in any message."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigateway import create_app
from aigateway.config import parse_config
from aigateway.errors import ConfigError
from aigateway.tenancy.state.url import RedisTarget, parse_state_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "redis://127.0.0.1:6379/0",
            RedisTarget("single", url="redis://127.0.0.1:6379/0"),
            id="single",
        ),
        pytest.param(
            "rediss://:pw@cache.internal:6380/2",
            RedisTarget("single", url="rediss://:pw@cache.internal:6380/2", ssl=True),
            id="single-tls",
        ),
        pytest.param(
            "unix:///run/redis.sock?db=1",
            RedisTarget("single", url="unix:///run/redis.sock?db=1"),
            id="unix",
        ),
        pytest.param(
            "redis+cluster://u:p%40ss@10.0.0.1:7000,10.0.0.2:7001,10.0.0.3",
            RedisTarget(
                "cluster",
                nodes=(("10.0.0.1", 7000), ("10.0.0.2", 7001), ("10.0.0.3", 6379)),
                username="u",
                password="p@ss",
            ),
            id="cluster",
        ),
        pytest.param(
            "rediss+cluster://[::1]:7000,[fe80::1]:7001/",
            RedisTarget("cluster", nodes=(("::1", 7000), ("fe80::1", 7001)), ssl=True),
            id="cluster-ipv6-tls",
        ),
        pytest.param(
            ["redis://:secret@a:7000", "b:7001"],
            RedisTarget("cluster", nodes=(("a", 7000), ("b", 7001)), password="secret"),
            id="cluster-list",
        ),
        pytest.param(
            "redis+sentinel://:pw@s1:26379,s2/mymaster/3?sentinel_password=spw",
            RedisTarget(
                "sentinel",
                nodes=(("s1", 26379), ("s2", 26379)),
                service="mymaster",
                db=3,
                password="pw",
                sentinel_password="spw",
            ),
            id="sentinel",
        ),
    ],
)
def test_accepted_forms(url: str | list[str], expected: RedisTarget) -> None:
    assert parse_state_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memcached://x:1", "unknown scheme 'memcached'"),
        ("localhost:6379", "expected a URL"),
        ("redis://", "no host"),
        ("redis+cluster://", "at least one host:port"),
        ("redis+cluster://a:7000/3", "only database 0"),
        (["redis://a:7000/1"], "only database 0"),
        ([], "at least one node"),
        (["redis+sentinel://a:1/m"], "redis:// (or rediss://) URLs"),
        ("redis+cluster://a:99999", "no valid port"),
        ("redis+cluster://a:x", "no valid port"),
        ("redis+sentinel://s1:26379", "name the monitored master"),
        ("redis+sentinel://s1:26379/m/x", "database 'x'"),
        ("redis+sentinel://s1/m?password=1", "unknown query parameter"),
    ],
)
def test_rejected_forms_say_why(url: str | list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_state_url(url)


def test_config_errors_name_the_key_and_hide_the_password() -> None:
    def load(state: str) -> None:
        parse_config(f"[state]\n{state}\n", source="gw.toml")

    # The URL is checked where the backend is built (the app, `aigateway check`), not on load.
    bad = parse_config(
        '[state]\nbackend = "redis"\nurl = "redis+cluster://user:hunter2@a:70000"',
        source="gw.toml",
    )
    with pytest.raises(ConfigError) as err:
        create_app(bad)
    assert "gw.toml: $.state.url:" in str(err.value)
    assert "hunter2" not in str(err.value)
    with pytest.raises(ConfigError, match=r"\$\.state\.lease_ttl"):
        load("lease_ttl = 0.5")
    with pytest.raises(ConfigError, match=r"\$\.state\.timeout"):
        load("timeout = 0")
    with pytest.raises(ConfigError, match=r"\$\.state\.prefix: .*braces"):
        load('prefix = "gw{1}"')
    with pytest.raises(ConfigError, match=r"\$\.state\.url"):
        load("url = 5")
    settings = parse_config(
        '[state]\nbackend = "redis"\nurl = ["redis://a:7000", "b:7001"]\nlease_ttl = 3\n'
    )
    assert settings.state.lease_ttl == 3
    # A memory backend ignores the URL (the default config must load without Redis).
    assert parse_config('[state]\nurl = "whatever"\n').state.backend == "memory"


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True)
nodes = st.lists(st.tuples(hosts, st.integers(1, 65535)), min_size=1, max_size=5)
secret = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")


@given(nodes=nodes, password=secret, tls=st.booleans())
def test_cluster_urls_round_trip_and_never_describe_the_password(
    nodes: list[tuple[str, int]], password: str, tls: bool
) -> None:
    scheme = "rediss+cluster" if tls else "redis+cluster"
    hosts = ",".join(f"{h}:{p}" for h, p in nodes)
    url = f"{scheme}://:{quote(password, safe='')}@{hosts}"
    target = parse_state_url(url)
    assert target.nodes == tuple(nodes)
    assert target.password == password
    assert target.ssl is tls
    # The list form is the same cluster.
    listed = parse_state_url([f"redis{'s' if tls else ''}://:{quote(password, safe='')}@{hosts}"])
    assert listed == target
    assert target.describe() == f"cluster {hosts}"  # where, never who


@given(st.one_of(st.text(max_size=80), st.lists(st.text(max_size=30), max_size=4)))
def test_arbitrary_input_is_parsed_or_a_value_error(url: str | list[str]) -> None:
    try:
        target = parse_state_url(url)
    except ValueError:
        return
    assert target.kind in ("single", "cluster", "sentinel")
