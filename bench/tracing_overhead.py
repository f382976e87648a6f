"""What tracing costs per request: off against the code before it, and on.

One command::

    .venv/bin/python bench/tracing_overhead.py [--duration S] [--rounds N] [--connections C]
                                               [--baseline-ref REF] [--json out.json]

The nginx mock upstream (``mock_upstream.py``), ``wrk`` on core 1 and gateways with one worker
pinned to core 0, on the ``chat`` and ``chat-stream`` scenarios. The variants take turns
``--rounds`` times (each round starting with the next variant) and the medians are reported (rps, p50, CPU ms per request of the gateway
process, all its threads: the exporter's included), with their ratios to the baseline:

* ``before tracing``: the gateway as it was at ``--baseline-ref`` (default: where this branch
  left ``main``), exported with ``git archive`` and served from that tree with the same venv;
* ``off``: this tree, ``[tracing]`` absent (the default);
* ``on, ratio 0``: tracing on, no trace sampled (spans are made but not recorded; the
  ``traceparent`` still goes upstream);
* ``on, ratio 1``: every request traced and exported over OTLP/HTTP to a loopback receiver
  (``tests/support/upstreams/otlp.py``, which decodes every export); spans per request are
  reported as a check that the export happened.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path
from typing import Any

from common import GATEWAY_CPU, LOAD_CPU, PYTHON, cpu_seconds, free_port, pin, start_server
from mock_upstream import find_nginx, start_mock
from scenarios import gateway_config, write_bodies

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # the OTLP receiver is the test suite's

from tests.support.upstreams.otlp import OtlpReceiver  # noqa: E402

CANNOT_RUN = 3
"""Exit code when wrk or nginx are missing (as ``bench/run.py``)."""
SCENARIOS = {
    "chat": ("chat.json", "/v1/chat/completions"),
    "chat-stream": ("chat_stream.json", "/v1/chat/completions"),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def wrk(url: str, body: Path, conns: int, duration: float) -> dict[str, Any]:
    cmd = [*pin(LOAD_CPU), "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s"]
    cmd += ["-s", str(HERE / "post.lua"), url, "--", "POST", str(body), "application/json", ""]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def baseline_tree(ref: str, workdir: Path) -> Path:
    """The package as it was at ``ref``, unpacked under ``workdir``."""
    out = workdir / "baseline"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "aigateway"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")
    return out


def start(config: str, workdir: Path, tag: str, tree: Path) -> Any:
    path = workdir / f"gateway-{tag}.toml"
    path.write_text(config)
    port = free_port()
    cmd = [PYTHON, "-m", "aigateway", "serve", "--config", str(path)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    log_path = workdir / f"gateway-{tag}.log"
    # `python -m` puts the working directory first on sys.path: that tree's package is served.
    env = {"OTEL_BSP_SCHEDULE_DELAY": "500"}
    server = start_server(
        "gateway", cmd, port, log_path, ready_path="/healthz", cpu=GATEWAY_CPU, env=env, cwd=tree
    )
    return server


def measure(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    bodies = write_bodies(workdir, {f for f, _ in SCENARIOS.values()})
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    exported: dict[str, int] = {}
    requests: dict[str, int] = {}
    with ExitStack() as stack:
        mock = stack.enter_context(start_mock(cpu=LOAD_CPU))
        receiver = OtlpReceiver().start()
        stack.callback(receiver.stop)
        base = gateway_config(mock.url, access_log=False)
        on = f'\n[tracing]\nenabled = true\nendpoint = "{receiver.url}"\n'
        old = baseline_tree(args.baseline_ref, workdir)
        variants = {
            "before tracing": (base, old),
            "off": (base, REPO),
            "on, ratio 0": (base + on + "sample_ratio = 0.0\n", REPO),
            "on, ratio 1": (base + on + "sample_ratio = 1.0\n", REPO),
        }
        servers = {}
        for i, (name, (config, tree)) in enumerate(variants.items()):
            servers[name] = stack.enter_context(start(config, workdir, str(i), tree))
            for body, path in SCENARIOS.values():  # warm-up
                wrk(servers[name].url + path, bodies[body][0], args.connections, 1.0)
        for r in range(args.rounds):
            # Each round starts with another variant: a slow patch of a shared machine should
            # not always land on the same one.
            order = list(servers.items())
            order = order[r % len(order) :] + order[: r % len(order)]
            for scenario, (body, path) in SCENARIOS.items():
                for name, gw in order:
                    before = len(receiver.snapshot())
                    cpu0 = cpu_seconds(gw.pid)
                    w = wrk(gw.url + path, bodies[body][0], args.connections, args.duration)
                    if name == "on, ratio 1":
                        time.sleep(1.0)  # the batch processor's last export of the turn
                    cpu = cpu_seconds(gw.pid) - cpu0
                    if name == "on, ratio 1":
                        exported[scenario] = (
                            exported.get(scenario, 0) + len(receiver.snapshot()) - before
                        )
                        requests[scenario] = requests.get(scenario, 0) + w["requests"]
                    sample = {
                        "rps": w["requests"] / (w["duration_us"] / 1e6),
                        "p50_ms": w["p50_us"] / 1000,
                        "cpu_ms_per_req": cpu * 1000 / max(1, w["requests"]),
                        "errors": sum(v for k, v in w.items() if k.startswith("err_")),
                    }
                    samples.setdefault((scenario, name), []).append(sample)
                    log(f"  round {r + 1} {scenario:11} {name:15} {sample['rps']:.0f} rps "
                        f"{sample['cpu_ms_per_req']:.3f} ms CPU/req")  # fmt: skip
    rows = []
    for (scenario, name), runs in samples.items():
        row: dict[str, Any] = {"scenario": scenario, "variant": name}
        for k in ("rps", "p50_ms", "cpu_ms_per_req"):
            row[k] = round(statistics.median(run[k] for run in runs), 3)
        row["errors"] = sum(run["errors"] for run in runs)
        if name == "on, ratio 1":
            row["spans_per_request"] = round(exported[scenario] / max(1, requests[scenario]), 2)
        rows.append(row)
    for row in rows:
        base_row = next(
            r for r in rows if r["scenario"] == row["scenario"] and r["variant"] == "before tracing"
        )
        row["rps_ratio"] = round(row["rps"] / base_row["rps"], 3)
        row["cpu_ratio"] = round(row["cpu_ms_per_req"] / base_row["cpu_ms_per_req"], 3)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = "| scenario | variant | rps | p50 ms | CPU ms/req | rps ratio | CPU ratio | spans/req |"
    out = [head, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(
            f"| {r['scenario']} | {r['variant']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['cpu_ms_per_req']:.3f} | {r['rps_ratio']:.3f} | {r['cpu_ratio']:.3f} | "
            f"{r.get('spans_per_request', '')} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--baseline-ref",
        default=None,
        help="git ref of the code before tracing (default: merge-base of HEAD and main)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if find_nginx() is None or subprocess.run(["which", "wrk"], capture_output=True).returncode:
        log("bench/tracing_overhead.py needs nginx and wrk (Debian: nginx-light wrk)")
        return CANNOT_RUN
    if args.baseline_ref is None:
        args.baseline_ref = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    log(f"baseline: {args.baseline_ref}")
    with tempfile.TemporaryDirectory(prefix="aigw-tracing-bench-") as tmp:
        rows = measure(args, Path(tmp))
    print(table(rows))
    if args.json:
        args.json.write_text(
            json.dumps({"baseline_ref": args.baseline_ref, "rows": rows}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
