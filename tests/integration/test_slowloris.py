"""Slow-header (slowloris) clients against ``aigateway serve`` as shipped (uvloop, httptools).

Many sockets send a request line and then trickle one header byte at a time, never finishing
the head. With ``[server] header_timeout`` the gateway answers them 408 and closes them; with
``max_connections`` the ones past the cap are answered 503 and closed at once. Afterwards the
gateway serves normally, and kept-alive connections that idle between requests are unaffected
(the timer runs from a request's first byte, not between requests).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import GatewayProcess, gateway_server

pytestmark = pytest.mark.slow

SLOW = 80
EXTRA = 40
CAP = 100
CONFIG = f"""
[server]
header_timeout = 1.0
body_timeout = 1.0
max_connections = {CAP}

[[ocr_models]]
id = "mistral"
provider = "mistral"
base_url = "http://127.0.0.1:9"
api_key = "k"

[[routes]]
path = "/"
plugin = "openai_compat"
ocr_model_refs = ["mistral"]
"""


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with gateway_server(CONFIG, tmp_path_factory.mktemp("slowloris")) as g:
        yield g


def _open(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /v1/ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _read_to_close(sock: socket.socket) -> bytes | None:
    """What the server sent before closing, or None while the connection is still open."""
    data = b""
    sock.setblocking(False)
    try:
        while True:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return None
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data
    finally:
        sock.setblocking(True)


def test_slow_header_connections_are_closed_and_extra_ones_refused(gw: GatewayProcess) -> None:
    slow = [_open(gw.port) for _ in range(SLOW)]
    stop = threading.Event()

    def trickle() -> None:
        # One byte per socket every 0.2 s: the head never ends, the connection never idles.
        while not stop.is_set():
            for sock in slow:
                # A socket the server has answered gets no more bytes: writing after its close
                # would draw a reset, and a reset discards the answer before the test reads it.
                with contextlib.suppress(OSError, ValueError):
                    if not select.select([sock], [], [], 0)[0]:
                        sock.send(b"a")
            time.sleep(0.2)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    extra: list[socket.socket] = []
    try:
        extra = [_open(gw.port) for _ in range(EXTRA)]
        answers: dict[int, bytes] = {}
        deadline = time.monotonic() + 30
        everything = slow + extra
        while len(answers) < len(everything) and time.monotonic() < deadline:
            for i, sock in enumerate(everything):
                if i not in answers:
                    got = _read_to_close(sock)
                    if got is not None:
                        answers[i] = got
            time.sleep(0.05)
        assert len(answers) == len(everything), (
            f"{len(everything) - len(answers)} slow connections still open"
        )
        statuses = [a.split(b"\r\n", 1)[0] for a in answers.values()]
        refused = sum(s.startswith(b"HTTP/1.1 503") for s in statuses)
        timed_out = sum(s.startswith(b"HTTP/1.1 408") for s in statuses)
        # A byte still in flight when the server closed draws a reset that can discard its
        # answer: such a connection was closed all the same, but it cannot show its status.
        reset = sum(s == b"" for s in statuses)
        # Past the cap (slow ones plus these) connections were refused at once. The server
        # closes a refused socket with the request's first bytes unread, which the kernel may
        # turn into a reset that discards the 503 (CI saw 19 of the 20 refusals): such a one
        # counts among the resets, which are bounded below.
        assert refused >= 1
        assert refused + reset >= SLOW + EXTRA - CAP
        assert refused + timed_out + reset == len(everything), statuses
        assert reset <= len(everything) // 4, f"{reset} of {len(everything)} answers lost"
        body_503 = next(a for a in answers.values() if a.startswith(b"HTTP/1.1 503"))
        assert b'"code":"too_many_connections"' in body_503
        body_408 = next(a for a in answers.values() if a.startswith(b"HTTP/1.1 408"))
        assert b'"code":"request_timeout"' in body_408
    finally:
        stop.set()
        thread.join(5)
        for sock in slow + extra:
            sock.close()
    r = httpx.get(gw.url + "/healthz", timeout=10)
    assert r.status_code == 200


def test_keep_alive_connections_idling_between_requests_are_not_cut(gw: GatewayProcess) -> None:
    ports = set()
    with httpx.Client(base_url=gw.url, timeout=10) as client:
        for _ in range(3):
            r = client.get("/healthz")
            assert r.status_code == 200
            ports.add(r.extensions["network_stream"].get_extra_info("client_addr")[1])
            time.sleep(1.5)  # longer than header_timeout, shorter than keep-alive's 5 s
    # One connection served all three: the idle gaps did not close it.
    assert len(ports) == 1


def test_a_complete_head_sent_in_pieces_within_the_timeout_is_served(gw: GatewayProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    try:
        for piece in (b"GET /heal", b"thz HTTP/1.1\r\nHo", b"st: x\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.2)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        sock.close()


def _post_head(port: int, length: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = "POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock.sendall(f"{head}Content-Length: {length}\r\n\r\n".encode())
    return sock


def test_a_body_that_stops_arriving_is_a_408_and_a_steady_trickle_is_not(
    gw: GatewayProcess,
) -> None:
    # Stops: ten bytes of a thousand, then nothing for longer than body_timeout.
    stalled = _post_head(gw.port, 1000)
    # Trickles: a byte every 0.4 s (under body_timeout), then the rest: served.
    body = b"{" + b" " * 8 + b"}"
    steady = _post_head(gw.port, len(body))
    try:
        stalled.sendall(b"{" + b" " * 9)
        for byte in body[:-1]:
            steady.sendall(bytes([byte]))
            time.sleep(0.4)
        steady.sendall(body[-1:])
        answer = steady.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]  # no document: served
        deadline = time.monotonic() + 10
        while (got := _read_to_close(stalled)) is None:
            assert time.monotonic() < deadline, "the stalled body's connection is still open"
            time.sleep(0.05)
        assert got.startswith(b"HTTP/1.1 408"), got[:200]
        assert b'"code":"request_timeout"' in got and b"body_timeout" in got
    finally:
        stalled.close()
        steady.close()
    assert "Traceback" not in gw.log()
