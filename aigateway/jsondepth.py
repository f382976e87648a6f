"""How deep JSON text nests, measured before a recursive decoder sees it.

msgspec and the ``json`` module decode recursively: text nested about a thousand deep raises
``RecursionError`` (a 500), and a value nested a little less still costs a deep stack in every
later encode (forwarding it upstream, answering it back). The gateway refuses JSON nested deeper
than a limit instead: a caller's body is a 400 naming the field, an upstream's answer a 502.

The scan is linear in the text, in bounded memory, and free for what the gateway mostly reads:
text holding no more ``{`` and ``[`` than the limit cannot nest deeper than it (base64 documents
hold none), which two ``count`` calls at memchr speed settle. Otherwise the text is walked in
blocks with C-level bytes operations only: escapes removed, strings cut out at the quotes, the
brackets left counted. Only a rejected text is walked token by token, to name the top-level key
it went too deep under; that regex matches strings possessively and lets an unterminated one run
to the end, so no input makes it backtrack.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from itertools import accumulate, count

import msgspec

from .errors import BadRequestError

__all__ = (
    "DEFAULT_MAX_DEPTH",
    "UPSTREAM_MAX_DEPTH",
    "TooDeep",
    "check_request_json",
    "nesting_over",
)

DEFAULT_MAX_DEPTH = 64
"""Levels of ``{``/``[`` a request body may nest (``[limits] max_json_depth``)."""
UPSTREAM_MAX_DEPTH = 256
"""Levels an upstream's JSON answer may nest before it is a 502 (well below the C stack's)."""

_BLOCK = 1 << 20
_BRACKETS = bytes.maketrans(b"{[}]", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"{[}]")
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.S)
_KEY_CHARS = 64


@dataclass(frozen=True)
class TooDeep:
    """JSON text passed the depth limit; ``key`` is the top-level key it happened under."""

    key: str | None


def nesting_over(text: bytes | bytearray | memoryview | str, limit: int) -> TooDeep | None:
    """``None`` when ``text`` nests at most ``limit`` levels, else where it went deeper.

    The text need not be valid JSON: for invalid text the answer bounds what a decoder run
    afterwards would reach before it fails.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if isinstance(data, memoryview):
        data = data.tobytes()
    if data.count(b"{") + data.count(b"[") <= limit:
        return None
    if not _deeper_than(data, limit):
        return None
    return TooDeep(_key_of_excess(data, limit))


def _deeper_than(data: bytes | bytearray, limit: int) -> bool:
    depth = 0
    inside = False  # inside a string at the start of the block
    start, n = 0, len(data)
    while start < n:
        end = min(start + _BLOCK, n)
        while end < n and data[end - 1] == 0x5C:  # never split a run of backslashes
            end += 1
        block = bytes(data[start:end])
        if b"\\" in block:
            # Escaped backslashes first, then escaped quotes: what remains of `"` is real.
            block = block.replace(b"\\\\", b"").replace(b'\\"', b"")
        parts = block.split(b'"')
        outside = parts[1::2] if inside else parts[0::2]
        if len(parts) % 2 == 0:
            inside = not inside
        marks = b"".join(outside).translate(_BRACKETS, _NOT_BRACKETS)
        if marks:
            # After the k-th bracket the depth is depth + (sum of marks so far) - k.
            peak = max(map(operator.sub, accumulate(marks), count(1)))
            if depth + peak > limit:
                return True
            depth += marks.count(2) - marks.count(0)
        start = end
    return False


def _key_of_excess(data: bytes | bytearray, limit: int) -> str | None:
    top_is_object = False
    depth = 0
    key_span: tuple[int, int] | None = None
    for m in _TOKENS.finditer(data):
        c = data[m.start()]
        if c == 0x22:  # a string; the last one at depth 1 is the key of what opens next
            if depth == 1:
                key_span = m.span()
        elif c in b"{[":
            depth += 1
            if depth == 1:
                top_is_object = c == 0x7B
            elif depth > limit:
                if top_is_object and key_span is not None:
                    return _key(bytes(data[key_span[0] : key_span[1]]))
                return None
        elif depth > 0:
            depth -= 1
    return None


def _key(raw: bytes) -> str | None:
    if len(raw) > 4 * _KEY_CHARS + 2:
        raw = raw[: 4 * _KEY_CHARS].rstrip(b"\\") + b'"'
    try:
        key = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return key[:_KEY_CHARS] if isinstance(key, str) else None


def check_request_json(raw: bytes | bytearray, max_depth: int) -> None:
    """Refuse a request body that is empty or nests deeper than ``max_depth`` (before decoding).

    Raises:
        BadRequestError: ``invalid_json`` for an empty or blank body; ``json_too_deep`` naming
            the top-level key the nesting went too deep under.
    """
    if not raw or raw.isspace():  # isspace stops at the first other byte: no copy
        raise BadRequestError("the request body is empty; send a JSON object", code="invalid_json")
    excess = nesting_over(raw, max_depth)
    if excess is not None:
        raise BadRequestError(
            f"{excess.key or 'the request body'}: JSON nests deeper than {max_depth} levels",
            param=excess.key,
            code="json_too_deep",
        )
