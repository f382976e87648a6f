"""Serving with configuration reload: swap the whole app without dropping a request.

:class:`ReloadableApp` is the ASGI callable ``aigateway serve`` runs. On ``SIGHUP`` (or
``aigateway reload``) it reads the config file again and builds a new app; a file that does not
validate is refused (logged) and the running app keeps serving. On success new requests go to
the new app while requests already in flight finish on the old one, which is closed once they
are done. Counters (the state backend), usage and metrics carry over when ``[state]`` is
unchanged, so a reload does not reset anyone's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from litestar import Litestar

from ..config import load_config
from ..config.checks import check_servable
from ..errors import ConfigError
from .app import build_app
from .reload_status import ReloadReport, write_report
from .runtime import Runtime

__all__ = ("ReloadableApp",)

RETIRE_TIMEOUT = 600.0
"""Seconds an old app may keep finishing in-flight requests before it is closed anyway."""
POOL_READY_TIMEOUT = 60.0
"""Seconds a reload waits for the new config's local OCR pool to have a live worker; a pool
that cannot start by then (or whose workers die at start) refuses the reload."""


class ReloadableApp:
    """An ASGI app serving the config at ``path``, reloadable in place."""

    def __init__(self, path: str | os.PathLike[str], report: Path | None = None) -> None:
        """Serve the config at ``path``; ``report`` is where each reload's outcome is written
        (see :mod:`.reload_status`; ``aigateway reload`` reads it)."""
        self.path = Path(path)
        self.app: Litestar = build_app(load_config(self.path))
        self._tasks: set[asyncio.Task[Any]] = set()
        self._retiring: set[Runtime] = set()
        self.reloads = 0
        self.attempts = 0
        self._last_error: str | None = None
        self._report = report
        self._write_report(True, None)

    def _write_report(self, ok: bool, error: str | None) -> None:
        if self._report is not None:
            report = ReloadReport(
                pid=os.getpid(),
                attempts=self.attempts,
                reloads=self.reloads,
                ok=ok,
                error=error,
                source=str(self.path),
            )
            write_report(self._report, report)

    @property
    def runtime(self) -> Runtime:
        """The runtime of the current app."""
        rt: Runtime = self.app.state.runtime
        return rt

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        # Bind the app once: a reload during this request does not move it.
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.runtime.start()
                    loop = asyncio.get_running_loop()
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
                except Exception as exc:  # startup failure: tell the server, do not hang
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with contextlib.suppress(Exception):
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
                for task in list(self._tasks):
                    task.cancel()
                # Old configs still finishing requests are closed too: their OCR workers
                # must not outlive the server.
                for rt in [*self._retiring, self.runtime]:
                    await rt.aclose()
                self._retiring.clear()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def drain(self, pool_deadline: float) -> None:
        """The server is stopping: the local OCR pools refuse new work now and fail what is
        left after ``pool_deadline`` seconds (see :mod:`aigateway.graceful`)."""
        for rt in [*self._retiring, self.runtime]:
            pool = rt.ocr_registry.pool
            if pool is not None:
                pool.drain(pool_deadline)

    def _on_sighup(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        """Re-read the config file; swap apps on success. Returns whether it was applied.

        The outcome is logged and, with a report file, written there for ``aigateway reload``.
        """
        self._last_error = None
        try:
            return await self._reload()
        except BaseException as exc:
            self._last_error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.attempts += 1
            self._write_report(self._last_error is None, self._last_error)

    async def _reload(self) -> bool:
        old = self.runtime
        try:
            settings = load_config(self.path)
            check_servable(settings)  # a file with no [[routes]] would answer 404 to all
            app = build_app(settings, previous=old)
        except ConfigError as exc:
            self._last_error = str(exc)
            old.logger.error(
                "config reload refused; the running config keeps serving", error=str(exc)
            )
            return False
        try:
            await app.state.runtime.start()
            await self._pool_ready(app.state.runtime)
        except ConfigError as exc:
            self._last_error = str(exc)
            old.logger.error(
                "config reload refused; the running config keeps serving", error=str(exc)
            )
            await self._abandon(app.state.runtime, old)
            return False
        except Exception as exc:  # a provider failing to start is a refused reload too
            self._last_error = f"{type(exc).__name__}: {exc}"
            old.logger.error(
                "config reload failed; the running config keeps serving",
                error=self._last_error,
            )
            await self._abandon(app.state.runtime, old)
            return False
        self.app = app
        self.reloads += 1
        old.logger.info("config reloaded", source=settings.source, reloads=self.reloads)
        self._retiring.add(old)
        task = asyncio.get_running_loop().create_task(self._retire(old))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    @staticmethod
    async def _pool_ready(rt: Runtime) -> None:
        """Serve a new config only once its local OCR pool can (no cold pool after a reload)."""
        pool = rt.ocr_registry.pool
        if pool is None:
            return
        try:
            async with asyncio.timeout(POOL_READY_TIMEOUT):
                ok = await pool.wait_ready()
        except TimeoutError:
            ok = False
        if not ok:
            raise RuntimeError(f"the new local OCR pool is not ready: {pool.status().detail}")

    @staticmethod
    async def _abandon(new: Runtime, old: Runtime) -> None:
        """Undo a reload that failed after the new app was built: close the new providers and
        pool (not the counters it shares with ``old``, which owns them again)."""
        await new.close_entities()
        if new.state is old.state:
            old._owns_state = True
        else:
            await new.state.aclose()

    async def _retire(self, old: Runtime) -> None:
        deadline = asyncio.get_running_loop().time() + RETIRE_TIMEOUT
        # Polling a plain counter every 100 ms beats an Event set on every request's end.
        while old.in_flight > 0 and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        await old.aclose()
        self._retiring.discard(old)
