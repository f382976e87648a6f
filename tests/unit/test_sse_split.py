"""The SSE relay's event splitter: linear work, whole events only, bounded buffering.

Linearity is shown by counting work, not by timing: :attr:`EventSplitter.scanned` is the size
of the regions searched for a separator. Feeding an event that never ends, N bytes in 1 KiB
chunks, must search about N bytes (the old relay searched its whole buffer on every chunk: about
N²/2 KiB, four times the work for twice the bytes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigateway.chat.sse import DONE, EventSplitter, EventTooLarge, SseRelay

CHUNK = 1024


def _scanned_for_endless_event(size: int) -> tuple[int, int]:
    """(bytes scanned by the splitter, bytes the old whole-buffer rescan would have scanned)."""
    splitter = EventSplitter(max_event_size=2 * size)
    rescan = 0
    fed = 0
    splitter.feed(b'data: {"choices": "')
    while fed < size:
        assert splitter.feed(b"x" * CHUNK) == b""
        fed += CHUNK
        rescan += splitter.pending
    return splitter.scanned, rescan


def test_an_endless_event_is_scanned_in_linear_work() -> None:
    small, small_rescan = _scanned_for_endless_event(1 << 20)
    large, large_rescan = _scanned_for_endless_event(2 << 20)
    # Linear: each byte is examined once, plus a few bytes of overlap per chunk.
    assert small <= (1 << 20) + 32 + 4 * ((1 << 20) // CHUNK)
    assert 1.9 < large / small < 2.1
    # The measure can tell: a whole-buffer rescan per chunk quadruples for twice the bytes.
    assert 3.9 < large_rescan / small_rescan < 4.1


def test_many_small_events_are_scanned_once() -> None:
    splitter = EventSplitter(max_event_size=1 << 20)
    event = b'data: {"choices": [{"delta": {"content": "word "}}]}\n\n'
    out = bytearray()
    stream = event * 20_000
    for i in range(0, len(stream), 777):  # chunks that cut events anywhere
        out += splitter.feed(stream[i : i + 777])
    assert bytes(out) == stream
    assert splitter.scanned <= len(stream) + 4 * (len(stream) // 777 + 1)


def test_an_event_past_the_cap_raises_with_bounded_buffering() -> None:
    splitter = EventSplitter(max_event_size=10_000)
    for _ in range(10):
        splitter.feed(b"y" * 1000)  # 10,000 bytes pending: at the cap, not past it
    with pytest.raises(EventTooLarge):
        splitter.feed(b"y" * 1000)
    assert splitter.pending <= 10_000 + 1000


SEPARATORS = [b"\n\n", b"\r\n\r\n", b"\r\r", b"\n\r\n", b"\r\n\n"]


@given(
    st.lists(
        st.tuples(
            st.lists(
                st.binary(max_size=20).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
                max_size=3,
            ),
            st.sampled_from(SEPARATORS),
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30),
)
def test_outputs_are_whole_events_and_nothing_is_lost(
    events: list[tuple[list[bytes], bytes]], cuts: list[int]
) -> None:
    stream = b"".join(b"\n".join(b"data: " + line for line in lines) + sep for lines, sep in events)
    splitter = EventSplitter(max_event_size=1 << 20)
    out = bytearray()
    pos = 0
    i = 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        piece = splitter.feed(stream[pos : pos + step])
        if piece:
            assert piece.endswith((b"\n\n", b"\r\r", b"\n\r\n")), piece
        out += piece
        pos += step
        i += 1
    assert bytes(out) + splitter.rest() == stream


def test_relay_ends_an_endless_event_with_one_error_event() -> None:
    class _Endless(httpx.AsyncByteStream):
        """An upstream body whose one event never ends (2 MB, then EOF)."""

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'data: {"choices": [{"delta": {"content": "'
            for _ in range(200):
                yield b"z" * 10_000

    closed: list[bool] = []

    async def on_close(usage: object, bytes_out: int, failed: bool) -> None:
        closed.append(failed)

    async def run() -> bytes:
        response = httpx.Response(200, stream=_Endless())
        relay = SseRelay(
            response, entity="up", ping_interval=5, on_close=on_close, max_event_size=100_000
        )
        return b"".join([chunk async for chunk in relay.stream()])

    out = asyncio.run(run())
    assert out.startswith(b"data: ") and out.endswith(b"\n\n")
    assert out.count(b"\n\n") == 1 and DONE not in out
    error = msgspec.json.decode(out[6:])["error"]
    assert error["code"] == "upstream_event_too_large"
    assert "max_event_size (100000 bytes)" in error["message"]
    assert closed == [True]
