"""Run a real gateway server process for tests: ``aigateway serve`` on a free loopback port.

In-process test clients buffer whole responses, so streaming, disconnect, keep-alive and SDK
tests need the gateway as its own process. Usage::

    with gateway_server(CONFIG_TOML, tmp_path) as gw:
        httpx.get(gw.url + "/v1/models")

or, in a test module, the ``gateway_server_factory`` fixture (stops every server it started
after the test) or ``module_gateway_factory`` (after the module's last test).
The server's stderr (access log, tracebacks) goes to a file whose tail is shown when startup
fails; :meth:`GatewayProcess.log` reads it during a test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

__all__ = (
    "GatewayProcess",
    "free_port",
    "gateway_server",
    "gateway_server_factory",
    "module_gateway_factory",
)

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0


@dataclass
class GatewayProcess:
    """A running gateway: its base URL (no trailing slash), pid and log file."""

    url: str
    port: int
    pid: int
    process: subprocess.Popen[bytes]
    stderr_path: Path
    config_path: Path

    def log(self) -> str:
        """What the server wrote to stderr so far (access-log lines, tracebacks)."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "<no stderr file>"
    return "\n".join(text.splitlines()[-lines:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float, stderr: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"gateway exited with code {proc.returncode} during startup; stderr:\n"
                + _tail(stderr)
            )
        try:
            # Any HTTP answer (404, 401 …) means the app is serving.
            httpx.get(url + "/__ready__", timeout=1.0)
            return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError(
                f"gateway did not answer on {url} within {timeout:.0f} s; stderr:\n" + _tail(stderr)
            )
        time.sleep(0.05)


@contextlib.contextmanager
def gateway_server(
    config: str,
    workdir: Path,
    *,
    env: dict[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    python: str = sys.executable,
    args: list[str] | None = None,
) -> Iterator[GatewayProcess]:
    """Write ``config`` (TOML text) to ``workdir``, serve it, yield the process, stop it.

    ``env`` adds to the inherited environment (for ``${VAR}`` in the config); ``args`` are more
    ``aigateway serve`` options (``--pidfile``). A port taken by someone else between probing
    and binding is retried with another port.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    n = len(list(workdir.glob("gateway-*.toml")))
    config_path = workdir / f"gateway-{n}.toml"
    config_path.write_text(config, encoding="utf-8")
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    for attempt in range(3):
        port = free_port()
        stderr_path = workdir / f"gateway-{n}-{attempt}.stderr"
        url = f"http://127.0.0.1:{port}"
        cmd = [python, "-m", "aigateway", "serve", "--config", str(config_path)]
        cmd += ["--host", "127.0.0.1", "--port", str(port), *(args or [])]
        with stderr_path.open("wb") as err:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        try:
            _wait_ready(proc, url, startup_timeout, stderr_path)
        except RuntimeError:
            if "address already in use" in _tail(stderr_path).lower() and attempt < 2:
                continue
            raise
        try:
            yield GatewayProcess(url, port, proc.pid, proc, stderr_path, config_path)
        finally:
            _stop(proc)
        return


@contextlib.contextmanager
def _servers(workdir: Path) -> Iterator[Callable[..., GatewayProcess]]:
    with contextlib.ExitStack() as stack:

        def start(config: str, **kwargs: object) -> GatewayProcess:
            return stack.enter_context(gateway_server(config, workdir, **kwargs))  # type: ignore[arg-type]

        yield start


@pytest.fixture
def gateway_server_factory(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """``start(config_toml, **kwargs) -> GatewayProcess``; all are stopped after the test."""
    with _servers(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def module_gateway_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., GatewayProcess]]:
    """The same, but its servers serve the whole module and stop after its last test.

    For modules whose tests only send requests (the engine's served pages): a server with an
    OCR pool takes a second or two to start, once per module instead of once per test. A log
    check in such a module sees every earlier test's lines too, which only makes it stricter.
    """
    with _servers(tmp_path_factory.mktemp("gateways")) as start:
        yield start
