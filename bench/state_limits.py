"""What tenant limits cost per request, and how fast they heal after faults.

One command::

    .venv/bin/python bench/state_limits.py [--duration S] [--connections N] [--json out.json]

**Cost**: the nginx mock upstream (``mock_upstream.py``), gateways with one worker pinned to
core 0 and ``wrk`` on core 1, the ``chat`` scenario at ``N`` connections, the state variants
taking turns (``--rounds``, medians reported): a tenant without limits (the baseline, measured in the same run), then
``requests_per_minute`` + ``max_concurrent`` (a lease per request; limits far above the load so
every request passes) on the memory backend, one redis-server, and a 3-node Redis Cluster.
Reported per variant: rps, p50, CPU ms per request, and their ratios to the baseline.

**Healing** (lease TTL 3 s, ``max_concurrent = 2``, two replicas on one redis-server, the test
suite's fake upstream holding streams open): seconds from SIGCONT after a 7 s SIGSTOP of Redis
(both held requests ended while it hung) until the tenant has full concurrency again; and from
``kill -9`` of the replica holding both slots until the survivor does.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from common import GATEWAY_CPU, LOAD_CPU, PYTHON, cpu_seconds, free_port, pin, start_server
from mock_upstream import find_nginx, start_mock
from scenarios import gateway_config, write_bodies

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the healing part drives the test suite's fakes and helpers

from aigateway.tenancy.auth import hash_key  # noqa: E402
from tests.support.redis_server import RedisServer, redis_cluster  # noqa: E402

KEY = "sk-bench-tenant-0001"
CANNOT_RUN = 3
"""Exit code when wrk, nginx or Redis are missing (as ``bench/run.py``)."""
TTL = 3.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def tenant(limits: str) -> str:
    return f'\n[[tenants]]\nid = "bench"\napi_keys = ["{hash_key(KEY)}"]\nlimits = {{ {limits} }}\n'


def wrk(url: str, body: Path, conns: int, duration: float) -> dict[str, Any]:
    cmd = [*pin(LOAD_CPU), "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s"]
    cmd += ["-s", str(HERE / "post.lua"), url, "--", "POST", str(body), "application/json"]
    cmd += [f"Bearer {KEY}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _start(config: str, workdir: Path, tag: str) -> Any:
    path = workdir / f"gateway-{tag}.toml"
    path.write_text(config)
    port = free_port()
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    log_path = workdir / f"gateway-{tag}.log"
    return start_server("gateway", cmd, port, log_path, ready_path="/healthz", cpu=GATEWAY_CPU)


VARIANTS = ("no limits", "memory", "redis", "redis cluster x3")


def cost(
    duration: float, conns: int, rounds: int, workdir: Path, only: set[str]
) -> list[dict[str, Any]]:
    """One row per state variant of the chat scenario (see the module docstring): the
    variants take turns, ``rounds`` times, and each row holds the medians."""
    bodies = write_bodies(workdir, {"chat.json"})
    body = bodies["chat.json"][0]
    limited = "requests_per_minute = 1000000000, max_concurrent = 1000000"
    samples: dict[str, list[dict[str, float]]] = {}
    with ExitStack() as stack:
        mock = stack.enter_context(start_mock(cpu=LOAD_CPU))
        variants = {"no limits": ("", ""), "memory": ("", limited)}
        if "redis" in only:
            single = RedisServer()
            stack.callback(single.close)
            single.start()
            variants["redis"] = (f'backend = "redis"\nurl = "{single.url}"', limited)
        if "redis cluster x3" in only:
            nodes = stack.enter_context(redis_cluster(3))
            cluster = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes)
            variants["redis cluster x3"] = (f'backend = "redis"\nurl = "{cluster}"', limited)
        variants = {k: v for k, v in variants.items() if k in only or k == "no limits"}
        servers = {}
        for i, (name, (state, limits)) in enumerate(variants.items()):
            config = gateway_config(mock.url, access_log=False) + tenant(limits)
            config += f"\n[state]\n{state}\n" if state else ""
            servers[name] = stack.enter_context(_start(config, workdir, str(i)))
            wrk(servers[name].url + "/v1/chat/completions", body, conns, 1.0)  # warm-up
        for r in range(rounds):
            for name, gw in servers.items():
                cpu0 = cpu_seconds(gw.pid)
                w = wrk(gw.url + "/v1/chat/completions", body, conns, duration)
                cpu = cpu_seconds(gw.pid) - cpu0
                sample = {
                    "rps": w["requests"] / (w["duration_us"] / 1e6),
                    "p50_ms": w["p50_us"] / 1000,
                    "cpu_ms_per_req": cpu * 1000 / max(1, w["requests"]),
                    "errors": sum(v for k, v in w.items() if k.startswith("err_")),
                }
                samples.setdefault(name, []).append(sample)
                log(f"  round {r + 1} {name:18} {sample['rps']:.0f} rps")
    rows = []
    for name, runs in samples.items():
        row: dict[str, Any] = {"variant": name}
        for k in ("rps", "p50_ms", "cpu_ms_per_req"):
            row[k] = round(statistics.median(run[k] for run in runs), 3)
        row["errors"] = sum(run["errors"] for run in runs)
        rows.append(row)
    base = rows[0]
    for row in rows:
        row["rps_ratio"] = round(row["rps"] / base["rps"], 3)
        row["cpu_ratio"] = round(row["cpu_ms_per_req"] / base["cpu_ms_per_req"], 3)
    return rows


@contextmanager
def _gateways(n: int, redis: RedisServer, fake: Any, workdir: Path) -> Iterator[list[Any]]:
    from tests.support.server import gateway_server
    from tests.support.state_support import gateway_config as served_config

    state = f'backend = "redis"\nurl = "{redis.url}"\nlease_ttl = {TTL}\ntimeout = 0.5\n'
    with ExitStack() as stack:
        yield [
            stack.enter_context(gateway_server(served_config(state, fake), workdir / f"gw{i}"))
            for i in range(n)
        ]


def healing(workdir: Path) -> dict[str, float]:
    """Seconds to full concurrency after a Redis hang and after a replica's kill -9."""
    from tests.support.state_support import full_capacity, held_streams, wait_for
    from tests.support.upstreams.openai_fake import OpenAIFake

    out: dict[str, float] = {}
    fake = OpenAIFake("primary").start()
    redis = RedisServer()
    try:
        redis.start()
        with _gateways(2, redis, fake, workdir) as (one, two):
            with held_streams(one, 2):
                redis.pause()
                time.sleep(7)
            redis.resume()
            out["redis_sigstop_7s_to_full_s"] = round(
                wait_for(lambda: full_capacity(one, 2), 60, step=0.05), 2
            )
            with held_streams(one, 2):
                one.process.kill()
                killed = time.monotonic()
            wait_for(lambda: full_capacity(two, 2), 60, step=0.05)
            out["replica_kill9_to_full_s"] = round(time.monotonic() - killed, 2)
    finally:
        fake.gate.set()
        fake.stop()
        redis.close()
    out["lease_ttl_s"] = TTL
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-healing", action="store_true")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated subset of: {', '.join(VARIANTS)} (the baseline always runs)",
    )
    args = parser.parse_args(argv)
    missing = [n for n, ok in (("wrk", shutil.which("wrk")), ("nginx", find_nginx())) if not ok]
    missing += [n for n in ("redis-server", "redis-cli") if not shutil.which(n)]
    if missing:
        log(f"missing {', '.join(missing)} (Debian: wrk nginx-light redis-server redis-tools)")
        return CANNOT_RUN
    with tempfile.TemporaryDirectory(prefix="aigw-bench-state-") as tmp:
        workdir = Path(tmp)
        log("cost of limits (chat, wrk):")
        rows = cost(
            args.duration, args.connections, args.rounds, workdir, set(args.variants.split(","))
        )
        heal = {} if args.no_healing else healing(workdir)
    print(
        f"chat at {args.connections} connections; medians of {args.rounds} turns of "
        f"{args.duration:.0f} s per variant"
    )
    print(f"{'variant':18} {'rps':>9} {'x base':>7} {'p50 ms':>7} {'cpu ms/req':>10} {'x base':>7}")
    for r in rows:
        print(
            f"{r['variant']:18} {r['rps']:>9.1f} {r['rps_ratio']:>7.3f} {r['p50_ms']:>7.2f} "
            f"{r['cpu_ms_per_req']:>10.3f} {r['cpu_ratio']:>7.3f}"
            + (f"  ERRORS {r['errors']}" if r["errors"] else "")
        )
    for k, v in heal.items():
        print(f"{k}: {v}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "healing": heal}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
