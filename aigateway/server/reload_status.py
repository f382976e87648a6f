"""The outcome of a server's config reloads, in a small JSON file beside its pidfile.

``aigateway reload`` must not judge a config by the caller's environment: ``${VAR}``\\ s are the
*server's* to resolve (a shell without ``OPENAI_API_KEY`` would refuse a file the server reads
fine, and a shell with a different value would approve one the server then refuses). So the
server validates, and reports: ``aigateway serve --pidfile F`` keeps ``F.reload.json`` with the
number of reload attempts and the last outcome (applied, or refused with the reason), and
``aigateway reload`` sends ``SIGHUP`` and waits for the attempt count to move.

The file is replaced atomically (written aside, then renamed), so a reader never sees half of
it. It holds no secrets: a refused reload's reason is the config error, which names key paths
and variable names, never values.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import msgspec

__all__ = ("ReloadReport", "read_report", "report_path", "wait_for_report", "write_report")


class ReloadReport(msgspec.Struct, kw_only=True):
    """What the server says about its reloads."""

    pid: int
    """The server process that wrote it."""
    mode: str = "single"
    """``single`` (the server reloads in place and reports) or ``workers`` (``--workers N``:
    uvicorn's supervisor replaces its workers on SIGHUP and nothing is reported here)."""
    attempts: int = 0
    """Reloads tried since the server started."""
    reloads: int = 0
    """Reloads applied."""
    ok: bool = True
    """Whether the last attempt was applied."""
    error: str | None = None
    """Why the last attempt was refused."""
    source: str = ""
    """The config file the server serves."""


def report_path(pidfile: str | os.PathLike[str]) -> Path:
    """Where the server started with ``--pidfile pidfile`` keeps its reload report."""
    return Path(f"{os.fspath(pidfile)}.reload.json")


def write_report(path: Path, report: ReloadReport) -> None:
    """Replace the report at ``path`` atomically; a failure to write never stops serving."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_bytes(msgspec.json.encode(report))
        os.replace(tmp, path)


def read_report(path: Path) -> ReloadReport | None:
    """The report at ``path``, or ``None`` when there is none (or it cannot be read)."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=ReloadReport)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


POLL_INTERVAL = 0.1
"""Seconds between two looks at the report while waiting for a reload's outcome."""


def wait_for_report(path: Path, pid: int, after: int, timeout: float) -> ReloadReport | None:
    """The report of ``pid`` once more than ``after`` reloads were attempted, or ``None`` after
    ``timeout`` seconds (or when the process is gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = read_report(path)
        if report is not None and report.pid == pid and report.attempts > after:
            return report
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # someone else's process that exists: keep waiting
        time.sleep(POLL_INTERVAL)
    return None
