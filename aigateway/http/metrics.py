"""Prometheus metrics of one app, in the text exposition format (no global registry).

Recorded from the access-log fields at the end of every request (see :mod:`.middleware`), so each
endpoint only has to say who it served: latency histogram per route/entity/status, requests,
pages, tokens, bytes and cost counters per tenant/entity, OCR cache results per entity, upstream
latency per entity, in-flight.
The local OCR pool adds worker restarts (by reason), task retries and live gauges (workers
alive, tasks running and waiting) once :meth:`Metrics.watch_ocr_pool` wires it in.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import GATEWAY_CODES

__all__ = ("Metrics",)

MAX_OTHER_CODES = 32
"""Error codes outside the gateway's own that get a label of their own (first come); the rest
are counted as ``other``, so no upstream can grow ``/metrics`` without bound."""

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)

Labels = tuple[tuple[str, str], ...]


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    """A sample value in full: ``%g`` keeps 6 digits, so a counter at 1,234,567 bytes or 12.3456
    of cost would read ``1.23457e+06`` / ``12.3457``."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _fmt(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in items) + "}"


class _Histogram:
    __slots__ = ("buckets", "count", "sum")

    def __init__(self, n: int) -> None:
        self.buckets = [0] * n
        self.count = 0
        self.sum = 0.0


class Metrics:
    """Counters, gauges and histograms keyed by label tuples."""

    def __init__(self) -> None:
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._hist: dict[str, dict[Labels, _Histogram]] = defaultdict(dict)
        self._help: dict[str, tuple[str, str]] = {}
        self.in_flight = 0
        self._other_codes: set[str] = set()
        self.gauges: dict[str, Callable[[], float]] = {
            "aigw_requests_in_flight": lambda: self.in_flight
        }
        """Gauge name -> its current value, read at render time."""
        self._declare()

    def _declare(self) -> None:
        h = self._help
        h["aigw_requests_total"] = ("counter", "Requests by route, entity, tenant and status.")
        h["aigw_request_duration_seconds"] = (
            "histogram",
            "Request latency by route/entity/status.",
        )
        h["aigw_upstream_duration_seconds"] = ("histogram", "Upstream (or engine) call latency.")
        h["aigw_pages_total"] = ("counter", "OCR pages processed by tenant and entity.")
        h["aigw_tokens_total"] = ("counter", "Tokens reported by upstreams, by tenant/entity/kind.")
        h["aigw_bytes_total"] = ("counter", "Response bytes by tenant and entity.")
        h["aigw_cost_total"] = (
            "counter",
            "Cost of requests by tenant and entity, in the currency of the configured prices.",
        )
        h["aigw_ocr_cache_requests_total"] = (
            "counter",
            "OCR requests to cached entities by entity and result (hit, coalesced, miss).",
        )
        h["aigw_errors_total"] = ("counter", "Error responses by tenant, entity and code.")
        h["aigw_requests_in_flight"] = ("gauge", "Requests being served now.")
        h["aigw_ocr_worker_restarts_total"] = (
            "counter",
            "Local OCR worker processes replaced, by reason (crashed, timeout, failed_start).",
        )
        h["aigw_ocr_task_retries_total"] = (
            "counter",
            "Local OCR page tasks handed to another worker after theirs died.",
        )
        h["aigw_ocr_workers_alive"] = ("gauge", "Local OCR workers ready for tasks.")
        h["aigw_ocr_tasks_running"] = ("gauge", "Local OCR page tasks in a worker now.")
        h["aigw_ocr_tasks_waiting"] = ("gauge", "Local OCR page tasks queued for a worker.")
        h["aigw_ocr_workers_warming"] = (
            "gauge",
            "Local OCR workers ready but still loading models before their first task.",
        )

    def watch_ocr_pool(self, registry: Any, reasons: Sequence[str]) -> None:
        """Count ``registry``'s OCR pool events and read its gauges (the newest app's pool
        after a reload); restart reasons start at 0 so the counter always exists."""
        for reason in reasons:
            self.inc("aigw_ocr_worker_restarts_total", (("reason", reason),), 0.0)
        self.inc("aigw_ocr_task_retries_total", (), 0.0)

        def on_event(kind: str, detail: str) -> None:
            if kind == "restart":
                self.inc("aigw_ocr_worker_restarts_total", (("reason", detail),))
            elif kind == "retry":
                self.inc("aigw_ocr_task_retries_total", ())

        def gauge(attr: str) -> Callable[[], float]:
            return lambda: float(getattr(registry.pool, attr, 0) if registry.pool else 0)

        registry.pool_events = on_event
        self.gauges["aigw_ocr_workers_alive"] = gauge("alive")
        self.gauges["aigw_ocr_tasks_running"] = gauge("running")
        self.gauges["aigw_ocr_tasks_waiting"] = gauge("waiting")
        self.gauges["aigw_ocr_workers_warming"] = gauge("warming")

    def declare(self, name: str, kind: str, text: str) -> None:
        """Make a counter (``kind = "counter"``) or histogram known, so it is rendered."""
        self._help.setdefault(name, (kind, text))

    def inc(self, name: str, labels: Labels, value: float = 1.0) -> None:
        """Add ``value`` to a counter."""
        self._counters[name][labels] += value

    def observe(self, name: str, labels: Labels, seconds: float) -> None:
        """Record one latency sample."""
        hist = self._hist[name].get(labels)
        if hist is None:
            hist = self._hist[name][labels] = _Histogram(len(LATENCY_BUCKETS))
        i = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        if i < len(hist.buckets):
            hist.buckets[i] += 1
        hist.count += 1
        hist.sum += seconds

    def record_request(self, fields: dict[str, Any], status: int, seconds: float) -> None:
        """Account one finished request from its access-log fields."""
        route = str(fields.get("route", "-"))
        entity = str(fields.get("entity", "-"))
        tenant = str(fields.get("tenant", "-"))
        st = str(status)
        self.inc(
            "aigw_requests_total",
            (("route", route), ("entity", entity), ("tenant", tenant), ("status", st)),
        )
        self.observe(
            "aigw_request_duration_seconds",
            (("route", route), ("entity", entity), ("status", st)),
            seconds,
        )
        te = (("tenant", tenant), ("entity", entity))
        if fields.get("pages"):
            self.inc("aigw_pages_total", te, float(fields["pages"]))
        for kind in ("tokens_in", "tokens_out"):
            if fields.get(kind):
                self.inc("aigw_tokens_total", (*te, ("kind", kind)), float(fields[kind]))
        if fields.get("bytes_out"):
            self.inc("aigw_bytes_total", te, float(fields["bytes_out"]))
        if fields.get("cost_nanos"):
            self.inc("aigw_cost_total", te, fields["cost_nanos"] / 1e9)
        if fields.get("cache"):
            self.inc(
                "aigw_ocr_cache_requests_total",
                (("entity", entity), ("result", str(fields["cache"]))),
            )
        if status >= 400:
            code = self._code_label(fields.get("error", status))
            self.inc("aigw_errors_total", (*te, ("code", code)))

    def _code_label(self, code: object) -> str:
        if code is None:
            return "none"
        text = str(code)
        if text in GATEWAY_CODES or text in self._other_codes:
            return text
        if len(text) <= 64 and len(self._other_codes) < MAX_OTHER_CODES:
            self._other_codes.add(text)
            return text
        return "other"

    def render(self) -> str:
        """The exposition text."""
        lines: list[str] = []
        for name, (kind, text) in self._help.items():
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} {kind}")
            if kind == "gauge":
                read = self.gauges.get(name)
                if read is not None:
                    lines.append(f"{name} {read():g}")
            elif kind == "counter":
                for labels, value in self._counters.get(name, {}).items():
                    lines.append(f"{name}{_fmt(labels)} {_num(value)}")
            else:
                lines.extend(self._render_hist(name, self._hist.get(name, {}).items()))
        return "\n".join(lines) + "\n"

    @staticmethod
    def _render_hist(name: str, items: Iterable[tuple[Labels, _Histogram]]) -> list[str]:
        out = []
        for labels, h in items:
            cumulative = 0
            for bound, n in zip(LATENCY_BUCKETS, h.buckets, strict=True):
                cumulative += n
                out.append(f"{name}_bucket{_fmt(labels, (('le', f'{bound:g}'),))} {cumulative}")
            out.append(f"{name}_bucket{_fmt(labels, (('le', '+Inf'),))} {h.count}")
            out.append(f"{name}_count{_fmt(labels)} {h.count}")
            out.append(f"{name}_sum{_fmt(labels)} {h.sum:.6f}")
        return out
