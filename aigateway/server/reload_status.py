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
import signal
import time
from pathlib import Path

import msgspec

__all__ = (
    "ReloadReport",
    "read_report",
    "report_path",
    "request_reload",
    "wait_for_report",
    "write_report",
)


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


def request_reload(pidfile: str | os.PathLike[str], timeout: float) -> tuple[bool, str]:
    """Make the server whose pid is in ``pidfile`` reload, and wait for its outcome.

    Returns whether the new config serves, and what to tell the user (the server's reason when
    it refused). A server without a report (``--workers N``, or an older version) is only
    signalled: its log has the outcome.
    """
    try:
        pid = int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return False, f"cannot read a pid from {os.fspath(pidfile)}"
    path = report_path(pidfile)
    before = read_report(path)
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False, f"no process {pid} (from {os.fspath(pidfile)}): is the server running?"
    if before is None or before.pid != pid or before.mode != "single":
        how = "its workers are replaced once new ones start" if before else "see its log"
        return True, f"sent SIGHUP to {pid}: the server reloads its config ({how})"
    after = wait_for_report(path, pid, before.attempts, timeout)
    if after is None:
        return False, f"sent SIGHUP to {pid}, but it reported no outcome within {timeout:g} s"
    if not after.ok:
        return False, (
            f"{after.source}: reload refused, the running config keeps serving: {after.error}"
        )
    return True, f"{after.source}: reloaded by {pid} (reload {after.reloads})"
