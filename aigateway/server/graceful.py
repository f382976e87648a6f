"""Stopping ``aigateway serve`` within a bounded time, busy or not.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections and waits for the requests in
flight; by default it waits forever, so one request stuck behind a busy OCR pool kept the
server alive until SIGKILL. :class:`GracefulServer` bounds that wait with
``[server] graceful_timeout`` and, as the drain starts, tells the app: the local OCR pool then
refuses new work at once and, shortly before the deadline, fails what is still queued or
running with 503 (``Retry-After``), so callers get an answer they can retry elsewhere rather
than a cut connection. Whatever is left at the deadline is cancelled by uvicorn, the app's
lifespan shutdown stops the pool's workers, and the process exits.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import uvicorn

__all__ = ("GracefulServer", "pool_deadline")

_log = logging.getLogger("aigateway.serve")


def pool_deadline(graceful_timeout: float) -> float:
    """Seconds into the drain at which the OCR pool gives up on its remaining tasks: early
    enough that their 503 answers are written before uvicorn's own deadline."""
    return max(0.0, graceful_timeout - min(1.0, graceful_timeout / 10))


class GracefulServer(uvicorn.Server):
    """A uvicorn server that calls ``on_drain()`` when its graceful shutdown begins."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_drain: Callable[[], None],
        on_listening: Callable[[str], None] | None = None,
    ) -> None:
        """``on_listening(url)`` runs once the sockets are bound (the startup line)."""
        super().__init__(config)
        self._on_drain = on_drain
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup, then ``on_listening`` with the address actually bound (which
        differs from the configured one for ``--port 0``)."""
        await super().startup(sockets)
        if self._on_listening is None or self.should_exit or not self.servers:
            return
        bound = self.servers[0].sockets
        if bound:
            host, port = bound[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            try:
                self._on_listening(f"http://{shown}:{port}")
            except Exception:  # the startup line must never keep the server from serving
                _log.exception("the startup hook failed")

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Start the app's drain, then uvicorn's bounded shutdown."""
        try:
            self._on_drain()
        except Exception:  # never let a drain hook keep the server from stopping
            _log.exception("the drain hook failed; stopping anyway")
        await super().shutdown(sockets)
