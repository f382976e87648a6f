"""Real Redis processes on 127.0.0.1 for the shared-state tests (started and stopped here).

* :class:`RedisServer` — one ``redis-server``; ``stop()``/``start()`` is an outage on the same
  port, ``pause()``/``resume()`` (SIGSTOP/SIGCONT) a server that hangs with its sockets open.
* :func:`redis_cluster` — three ``redis-server --cluster-enabled yes`` nodes joined by
  ``redis-cli --cluster create`` (no replicas: every node is a primary).
* :func:`redis_sentinel` — a master plus one ``redis-server --sentinel`` watching it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exe(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise RuntimeError(
            f"{name} is not installed: `apt-get install redis-server redis-tools` (.ci/run does it)"
        )
    return exe


def command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Send one inline command to the server on ``port``; the raw reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(" ".join(args).encode() + b"\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def _wait(port: int, check: bytes = b"PING", expect: bytes = b"+PONG", limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    last = b""
    while time.monotonic() < deadline:
        try:
            last = command(port, *check.decode().split(), timeout=0.5)
            if expect in last:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"redis on port {port} not ready within {limit} s: {last[:200]!r}")


class RedisServer:
    """One redis-server process (``extra`` adds command-line options)."""

    def __init__(self, *extra: str) -> None:
        self.exe = _exe("redis-server")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="aigw-redis-")
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``redis://`` URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.proc = subprocess.Popen(
            [
                self.exe,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--protected-mode",
                "yes",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.port)

    def stop(self) -> None:
        """Stop the server (an outage, as far as the gateway can tell)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGCONT)  # a paused server cannot exit
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def pause(self) -> None:
        """SIGSTOP: the server hangs; connections stay open and nothing answers."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def command(self, *args: str) -> bytes:
        """One inline command; the raw reply (``:2\\r\\n``)."""
        return command(self.port, *args)

    def flush(self) -> None:
        """Delete every key (between tests)."""
        self.command("FLUSHALL")

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, stopped on exit."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _cluster_node() -> RedisServer:
    # The cluster bus port defaults to port + 10000, which may be taken or past 65535.
    node = RedisServer("--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
    node.extra += ["--cluster-config-file", str(Path(node.dir) / "nodes.conf")]
    node.extra += ["--cluster-port", str(free_port())]
    return node


@contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[list[RedisServer]]:
    """A Redis Cluster of ``nodes`` primaries on 127.0.0.1, torn down on exit."""
    with ExitStack() as stack:
        servers = []
        for _ in range(nodes):
            server = _cluster_node()
            stack.callback(server.close)
            server.start()
            servers.append(server)
        subprocess.run(
            [
                _exe("redis-cli"),
                "--cluster",
                "create",
                *(f"127.0.0.1:{s.port}" for s in servers),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        for s in servers:
            _wait(s.port, b"CLUSTER INFO", b"cluster_state:ok", limit=30)
        yield servers


@contextmanager
def redis_sentinel(service: str = "mymaster") -> Iterator[tuple[RedisServer, int]]:
    """A master and one Sentinel monitoring it as ``service``: ``(master, sentinel_port)``."""
    with ExitStack() as stack:
        master = RedisServer()
        stack.callback(master.close)
        master.start()
        port = free_port()
        conf = Path(master.dir) / "sentinel.conf"  # Sentinel rewrites its own config file
        conf.write_text(
            f"bind 127.0.0.1\nport {port}\ndir {master.dir}\n"
            f"sentinel monitor {service} 127.0.0.1 {master.port} 1\n"
            f"sentinel down-after-milliseconds {service} 5000\n"
        )
        proc = subprocess.Popen(
            [_exe("redis-server"), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def stop() -> None:
            proc.terminate()
            proc.wait(timeout=10)

        stack.callback(stop)
        _wait(port, f"SENTINEL get-master-addr-by-name {service}".encode(), b"127.0.0.1")
        yield master, port
