"""The SSE relay: an upstream's event stream passed to the caller event by event.

:class:`EventSplitter` cuts the byte stream at event boundaries. It looks for a boundary only
in bytes it has not examined yet (plus three bytes of overlap, for a separator split across two
chunks), appends to one ``bytearray`` and drops what it hands out from its front, so the work
is linear in the bytes received whatever the chunking: :attr:`EventSplitter.scanned` counts the
bytes examined, which tests compare with the bytes fed. An event still unfinished after
``max_event_size`` bytes is an error, not a reason to buffer more.

:class:`SseRelay` runs the splitter over the upstream response, adds ``: ping`` keep-alives
between events and ``data: [DONE]`` when the upstream leaves it out, and turns any failure
(read timeout, broken connection, oversized event) into one final ``data: {"error": …}`` event:
after the headers have gone out nothing else can reach the caller.

A stream's cost is known only at its end, long after the headers: for an entity with prices the
relay sends it as an SSE comment, ``: x-aigateway-cost: 0.00042``, just before ``data: [DONE]``
(or before the final error event). Comment lines are ignored by SSE clients and the SDKs; a
client that wants the cost reads that line. When the gateway asked the upstream for the usage
chunk the caller did not ask for (``stream_options.include_usage``), that chunk
(``"choices": []`` with ``usage``) is read and dropped, not relayed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx
import msgspec

from ..errors import GatewayError, UpstreamError, UpstreamTimeoutError, error_payload
from .protocol import Usage, read_answer

__all__ = ("DONE", "PING", "EventSplitter", "EventTooLarge", "SseRelay", "drop_usage_chunks")

PING = b": ping\n\n"
DONE = b"data: [DONE]\n\n"
_SEPARATORS = (b"\r\n\r\n", b"\n\r\n", b"\r\n\n", b"\n\n", b"\r\r")
_OVERLAP = max(len(s) for s in _SEPARATORS) - 1
_EVENT = re.compile(rb".*?(?:\r\n\r\n|\n\r\n|\r\n\n|\n\n|\r\r)", re.S)
_DONE_LINE = re.compile(rb"(?m)^data: ?\[DONE\]")


class _Chunk(msgspec.Struct):
    choices: list[msgspec.Raw] | None = None
    usage: dict[str, msgspec.Raw] | None = None


_chunk_decoder = msgspec.json.Decoder(_Chunk)


def _usage_only(event: bytes) -> bool:
    for line in event.splitlines():
        if line.startswith(b"data:") and b'"usage"' in line:
            try:
                chunk = _chunk_decoder.decode(line[5:])
            except msgspec.DecodeError:  # ValidationError too: a chunk of another shape stays
                return False
            return chunk.choices == [] and chunk.usage is not None
    return False


def drop_usage_chunks(events: bytes) -> bytes:
    """``events`` (complete SSE events) without the usage-only chunks (``"choices": []`` with a
    ``usage``) the gateway asked for on the caller's behalf."""
    if b'"usage"' not in events:
        return events
    kept = [m.group() for m in _EVENT.finditer(events) if not _usage_only(m.group())]
    return b"".join(kept)


class EventTooLarge(Exception):
    """An event passed ``max_event_size`` bytes without ending."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an SSE event passed {limit} bytes without ending")
        self.limit = limit


class EventSplitter:
    """Splits an SSE byte stream into runs of complete events, in linear time and bounded
    memory (``max_event_size`` plus one chunk)."""

    def __init__(self, max_event_size: int) -> None:
        self.max_event_size = max_event_size
        self._buf = bytearray()
        self._checked = 0
        """Bytes at the front of the buffer known to hold no separator end."""
        self.scanned = 0
        """Bytes examined for separators so far (linear in the bytes fed)."""

    @property
    def pending(self) -> int:
        """Bytes of the unfinished event held back."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> bytes:
        """Add ``chunk``; return the complete events it finished (``b""`` when none).

        Raises:
            EventTooLarge: the unfinished event is now over ``max_event_size``.
        """
        buf = self._buf
        buf += chunk
        start = max(0, self._checked - _OVERLAP)
        self.scanned += len(buf) - start
        cut = 0
        for sep in _SEPARATORS:
            i = buf.rfind(sep, start)
            if i >= 0:
                cut = max(cut, i + len(sep))
        if cut:
            out = bytes(buf[:cut])
            del buf[:cut]  # from the front of a bytearray: no copy of what remains
        else:
            out = b""
        self._checked = len(buf)
        if len(buf) > self.max_event_size:
            raise EventTooLarge(self.max_event_size)
        return out

    def rest(self) -> bytes:
        """What is left when the stream ends (an event without its blank line, or nothing)."""
        out = bytes(self._buf)
        self._buf.clear()
        self._checked = 0
        return out


class SseRelay:
    """Relays an upstream SSE body event by event, adding keep-alives and ``[DONE]``.

    Bytes are passed on as they arrive, cut only at event boundaries: a partial event is held
    back until its blank line arrives, so keep-alive comments and a final error event never
    land inside an event. The upstream response is closed when the stream ends, fails, or is
    abandoned (client disconnect): :meth:`aclose` is idempotent and safe under cancellation.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        entity: str,
        ping_interval: float,
        on_close: Callable[[Usage | None, int, bool], Awaitable[None]],
        max_event_size: int = 8 * 1024 * 1024,
        trailer: Callable[[Usage | None], bytes] | None = None,
        strip_usage: bool = False,
    ) -> None:
        """``trailer`` makes the bytes sent once before ``[DONE]`` (or before a final error
        event) from the usage seen so far; ``strip_usage`` drops usage-only chunks (the caller
        did not ask for them)."""
        self.response = response
        self.entity = entity
        self.ping_interval = ping_interval
        self.max_event_size = max_event_size
        self._on_close = on_close
        self._trailer = trailer
        self._strip_usage = strip_usage
        self._closed = False
        self.usage: Usage | None = None
        self.model: str | None = None
        """The ``model`` the upstream named in the chunk that carried the usage."""
        self.bytes_out = 0
        self.failed = False
        self._done = False

    def _inspect(self, events: bytes) -> None:
        """Note ``[DONE]`` and the last ``usage`` in complete events (cheap byte scans first)."""
        if b"[DONE]" in events:
            for line in events.splitlines():
                if line.strip() in (b"data: [DONE]", b"data:[DONE]"):
                    self._done = True
        if b'"usage"' in events:
            for line in events.splitlines():
                if line.startswith(b"data:") and b'"usage"' in line:
                    try:
                        answer = read_answer(line[5:])
                    except msgspec.DecodeError:
                        continue
                    if answer.usage is not None:
                        # Servers that report usage on every chunk report running totals.
                        self.usage = answer.usage
                        self.model = answer.model_name or self.model

    def _take_trailer(self) -> bytes:
        trailer, self._trailer = self._trailer, None
        return trailer(self.usage) if trailer is not None else b""

    def _error_event(self, exc: GatewayError) -> bytes:
        self.failed = True
        out = self._take_trailer() + b"data: " + msgspec.json.encode(error_payload(exc)) + b"\n\n"
        self.bytes_out += len(out)
        return out

    def _emit(self, events: bytes) -> bytes:
        done = self._done
        self._inspect(events)
        if self._strip_usage:
            events = drop_usage_chunks(events)
        if self._done and not done and self._trailer is not None:
            at = _DONE_LINE.search(events)
            if at is not None:
                events = events[: at.start()] + self._take_trailer() + events[at.start() :]
        self.bytes_out += len(events)
        return events

    async def stream(self) -> AsyncIterator[bytes]:
        """The bytes to send the caller."""
        chunks = self.response.aiter_raw()
        splitter = EventSplitter(self.max_event_size)
        pending: asyncio.Future[bytes] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(chunks.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=self.ping_interval)
                if not done:
                    if not splitter.pending:  # only between events
                        yield PING
                    continue
                task, pending = pending, None
                try:
                    chunk = task.result()
                except StopAsyncIteration:
                    break
                except httpx.TimeoutException:
                    yield self._error_event(
                        UpstreamTimeoutError(f"{self.entity} stopped sending (read timeout)")
                    )
                    return
                except httpx.HTTPError as exc:
                    yield self._error_event(
                        UpstreamError(f"{self.entity} broke off the stream ({type(exc).__name__})")
                    )
                    return
                try:
                    out = splitter.feed(chunk)
                except EventTooLarge as exc:
                    yield self._error_event(
                        UpstreamError(
                            f"{self.entity} sent an SSE event longer than its max_event_size "
                            f"({exc.limit} bytes); the stream was ended",
                            code="upstream_event_too_large",
                        )
                    )
                    return
                if out:
                    yield self._emit(out)
            rest = splitter.rest()
            if rest.strip():
                if not rest.endswith((b"\n", b"\r")):
                    yield self._error_event(
                        UpstreamError(f"{self.entity} ended the stream in the middle of an event")
                    )
                    return
                # The last event lacks only its blank line: complete it.
                yield self._emit(rest + (b"\r\n" if rest.endswith(b"\r\n") else b"\n"))
            if not self._done:
                tail = self._take_trailer() + DONE
                self.bytes_out += len(tail)
                yield tail
        finally:
            if pending is not None:
                pending.cancel()
            await self.aclose()

    async def aclose(self) -> None:
        """Close the upstream response (cancels the upstream request) and account, once."""
        if self._closed:
            return
        self._closed = True
        # Shielded: this runs while the caller's disconnect is cancelling us.
        with anyio.CancelScope(shield=True):
            try:
                await self.response.aclose()
            finally:
                await self._on_close(self.usage, self.bytes_out, self.failed)
