"""``--vs-litellm``: the same scenarios against a LiteLLM proxy (1 worker) on the same mock.

LiteLLM goes into its own venv (``/tmp/litellm-venv``, ``pip install 'litellm[proxy]'``) so it
never touches the project's environment. Its model list maps the bench's model names to the
mock: ``openai/…`` for chat and embeddings, ``mistral/mistral-ocr-latest`` for OCR. When it
cannot be installed or started (offline, no PyPI), the result says so and the bench goes on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import GATEWAY_CPU, free_port, server_facts, start_server
from mock_upstream import MockUpstream
from scenarios import Scenario

__all__ = ("VENV", "ensure_litellm", "run_litellm")

VENV = Path(os.environ.get("LITELLM_VENV", "/tmp/litellm-venv"))
MASTER_KEY = "sk-bench-master-key-0123456789abcdef"


def ensure_litellm(log: Callable[[str], None]) -> tuple[Path | None, str]:
    """(path of the ``litellm`` CLI or None, what happened)."""
    exe = VENV / "bin" / "litellm"
    if exe.exists():
        return exe, "already installed"
    log(f"installing litellm[proxy] into {VENV} (once) …")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
        done = subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "litellm[proxy]"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not create the venv: {exc}"
    if done.returncode != 0 or not exe.exists():
        return None, f"pip install 'litellm[proxy]' failed: {done.stderr.strip()[-400:]}"
    return exe, "installed now"


def litellm_config(mock_url: str) -> str:
    def entry(public: str, model: str, base: str) -> str:
        return (
            f"  - model_name: {public}\n"
            f"    litellm_params:\n"
            f"      model: {model}\n"
            f'      api_base: "{base}"\n'
            f"      api_key: sk-bench\n"
        )

    return (
        "model_list:\n"
        + entry("gpt-bench", "openai/gpt-bench", f"{mock_url}/v1")
        + entry("gpt-bench-stream", "openai/gpt-bench-stream", f"{mock_url}/sse/v1")
        + entry("embed-bench", "openai/embed-bench", f"{mock_url}/v1")
        + entry("mistral-ocr-latest", "mistral/mistral-ocr-latest", f"{mock_url}/v1")
        + "litellm_settings:\n  telemetry: false\n  drop_params: true\n"
    )


def run_litellm(
    result: dict[str, Any],
    mock: MockUpstream,
    scenarios: list[Scenario],
    conn_filter: set[int] | None,
    duration: float,
    bodies: dict[str, tuple[Path, str]],
    work: Path,
    measure: Callable[..., list[dict[str, Any]]],
    log: Callable[[str], None],
) -> None:
    """Start LiteLLM pinned like the gateway, run ``measure`` on it, record rows and facts."""
    exe, how = ensure_litellm(log)
    if exe is None:
        result["notes"].append(f"--vs-litellm: LiteLLM not available: {how}")
        return
    cfg = work / "litellm.yaml"
    cfg.write_text(litellm_config(mock.url))
    port = free_port()
    cmd = [str(exe), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--num_workers", "1"]
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no download of the cost map at start-up
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "DISABLE_SCHEMA_UPDATE": "True",
        "NO_PROXY": "*",
        "LITELLM_MASTER_KEY": MASTER_KEY,  # required since 1.10x; sent by wrk as a Bearer key
    }
    try:
        server = start_server(
            "litellm",
            cmd,
            port,
            work / "litellm.log",
            ready_path="/health/liveliness",
            cpu=GATEWAY_CPU,
            env=env,
            timeout=120,
        )
    except RuntimeError as exc:
        result["notes"].append(f"--vs-litellm: LiteLLM did not start: {str(exc)[-600:]}")
        return
    with server:
        facts = server_facts(server)
        facts["startup_runs"] = 1
        facts["install"] = how
        result["servers"]["litellm"] = facts
        log(f"litellm: startup {facts['startup_s']} s, idle RSS {facts['idle_rss_mb']} MB")
        result["rows"] += measure(
            "litellm",
            server.url,
            server.pid,
            scenarios,
            conn_filter,
            duration,
            bodies,
            auth=f"Bearer {MASTER_KEY}",
        )
    result["notes"].append(
        f"--vs-litellm: LiteLLM {how} in {VENV}, 1 worker, pinned like the gateway"
    )
