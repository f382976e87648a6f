"""A loopback TCP relay that can hold requests back: it stands between a gateway and a server
(its S3 store) so that a test can make one replica's writes slow, the way a slow or distant
store is, without touching the gateway or the server.

Bytes pass through unchanged both ways. While :attr:`Relay.hold_puts` is set, a chunk from the
client that begins an HTTP ``PUT`` request waits that many seconds before it is passed on
(a request begins a chunk: a client sends its next request only after the last answer).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

__all__ = ("Relay", "relay")


class Relay:
    """Listens on 127.0.0.1 and relays every connection to ``127.0.0.1:target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.hold_puts = 0.0
        """Seconds each ``PUT`` request waits before it goes on (0: none waits)."""
        self.puts_held = 0
        """``PUT`` requests held back so far."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The relay's base URL, to put where the server's URL would go."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._closed.set()
        with self._lock:
            for s in [self._listener, *self._sockets]:
                with contextlib.suppress(OSError):
                    s.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: stop() ran
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()  # the server is gone: the client sees its connection refused
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst, requests in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(src, dst, requests), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        try:
            while data := src.recv(65536):
                if requests and self.hold_puts and data.startswith(b"PUT "):
                    self.puts_held += 1
                    if self._closed.wait(self.hold_puts):
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # One side closed (a replica killed, the server done): end the other side too.
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def relay(target_port: int) -> Iterator[Relay]:
    """A started :class:`Relay` to ``target_port``, stopped on exit."""
    r = Relay(target_port).start()
    try:
        yield r
    finally:
        r.stop()
