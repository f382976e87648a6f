"""The pool's framing (``wire``) and its non-blocking socket end (``channel``), without workers.

The channel tests run on asyncio and uvloop and use a real socketpair whose far end reads only
when told to, so a full socket buffer (the condition that once hung the pool) is certain.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.ocr.engine import wire
from aigateway.ocr.engine.channel import Channel

Run = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    factory = asyncio.new_event_loop if request.param == "asyncio" else uvloop.new_event_loop

    def runner(coro: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=factory) as r:
            return r.run(coro)

    return runner


def frames(*messages: Any) -> bytes:
    return b"".join(b"".join(wire.encode(m)) for m in messages)


# --- framing ----------------------------------------------------------------------------------

messages = st.lists(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=200),
        st.tuples(st.sampled_from(["ok", "error"]), st.binary(max_size=500)),
        st.none(),
    ),
    max_size=8,
)


@settings(max_examples=200)
@given(msgs=messages, cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=12))
def test_frames_reassemble_whatever_the_chunking(msgs: list[Any], cuts: list[int]) -> None:
    data = frames(*msgs)
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    reader = wire.FrameReader()
    out: list[Any] = []
    for a, b in itertools.pairwise(points):
        out += reader.feed(data[a:b])
    assert out == msgs
    assert not reader.partial


def test_an_oversized_length_is_refused_before_allocating() -> None:
    reader = wire.FrameReader(max_frame=1000)
    with pytest.raises(wire.FrameError, match="over the 1000 limit"):
        reader.feed(wire.HEADER.pack(10**15))


def test_an_undecodable_payload_stands_alone_and_the_stream_goes_on() -> None:
    junk = b"not a pickle"
    data = wire.HEADER.pack(len(junk)) + junk + frames("next")
    got = wire.FrameReader().feed(data)
    assert isinstance(got[0], wire.Undecodable)
    assert got[1] == "next"


def test_blocking_side_sends_and_receives_large_frames() -> None:
    a, b = socket.socketpair()
    big = os.urandom(3 << 20)
    with a, b:
        sender = threading.Thread(target=wire.send, args=(a, ("ok", big)))
        sender.start()
        assert wire.recv(b) == ("ok", big)
        sender.join()
        a.close()
        with pytest.raises(EOFError):
            wire.recv(b)


# --- the channel ------------------------------------------------------------------------------


def test_a_send_larger_than_the_socket_buffer_never_blocks_the_loop(run: Run) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        mine, theirs = socket.socketpair()
        closed: list[str] = []
        ch = Channel(loop, mine, lambda m: None, closed.append)
        big = os.urandom(8 << 20)
        ch.send(("task", big))
        # The socket took what its buffer holds; the rest waits for the peer, and the loop runs.
        assert 0 < ch.pending < len(big)
        ticks = 0
        for _ in range(5):
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 5
        # The peer reads (in a thread, blocking): add_writer callbacks deliver everything.
        received = await asyncio.to_thread(wire.recv, theirs)
        assert received == ("task", big)
        assert ch.pending == 0
        assert closed == []
        ch.close()
        theirs.close()

    run(scenario())


def test_results_arrive_in_pieces_and_eof_mid_frame_closes_once(run: Run) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        mine, theirs = socket.socketpair()
        got: list[Any] = []
        closed: list[str] = []
        Channel(loop, mine, got.append, closed.append)
        data = frames(("ok", b"a" * 100), ("ok", b"b" * 700_000)) + frames("cut")[:-3]
        await asyncio.to_thread(theirs.sendall, data)
        theirs.close()
        for _ in range(200):
            if closed:
                break
            await asyncio.sleep(0.01)
        assert got == [("ok", b"a" * 100), ("ok", b"b" * 700_000)]
        assert closed == ["end of file in the middle of a message"]

    run(scenario())


def test_a_dead_peer_is_reported_not_raised(run: Run) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        mine, theirs = socket.socketpair()
        closed: list[str] = []
        ch = Channel(loop, mine, lambda m: None, closed.append)
        theirs.close()
        ch.send(("task", b"x" * (4 << 20)))  # EPIPE or ECONNRESET inside: no exception here
        for _ in range(200):
            if closed:
                break
            await asyncio.sleep(0.01)
        assert len(closed) == 1
        assert ch.closed
        with pytest.raises(ConnectionError):
            ch.send("after close")

    run(scenario())


def test_encode_refuses_what_does_not_pickle() -> None:
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        wire.encode(lambda: None)
