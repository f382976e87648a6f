"""Wire shapes of chat completions and embeddings, as far as the gateway needs to know them.

The gateway is a pass-through: it reads only ``model``, ``stream`` and
``stream_options.include_usage`` (and, for budgets, the completion tokens a request allows:
``max_completion_tokens``, ``max_tokens``, ``n``), and rewrites only ``model`` (and, to learn a
priced stream's usage, ``stream_options.include_usage``). Every other top-level value is kept
as the caller's exact bytes (:class:`msgspec.Raw`), so fields the gateway has never heard of
pass through untouched: absent stays absent, ``null`` stays ``null``, numbers keep their spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec

from ..errors import BadRequestError
from ..jsondepth import DEFAULT_MAX_DEPTH, UPSTREAM_MAX_DEPTH, check_request_json, nesting_over

__all__ = (
    "Answer",
    "PassThroughBody",
    "Usage",
    "completion_to_sse",
    "parse_body",
    "read_answer",
    "read_usage",
)

_fields_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])


class _StreamOptions(msgspec.Struct):
    include_usage: bool | None = None


@dataclass
class PassThroughBody:
    """A request body: its top-level fields as raw JSON, plus what routing needs."""

    fields: dict[str, msgspec.Raw]
    model: str
    stream: bool
    include_usage: bool
    size: int
    """Bytes of the body as the caller sent it."""
    raw: bytes = b""
    """The body as the caller sent it (the fields are views of it)."""

    def with_model(self, upstream_model: str, *, ask_usage: bool = False) -> bytes:
        """The body with ``model`` replaced and every other field byte for byte as received;
        ``ask_usage`` also sets ``stream_options.include_usage`` (other stream options kept)."""
        fields = dict(self.fields)
        fields["model"] = msgspec.Raw(msgspec.json.encode(upstream_model))
        if ask_usage:
            options: dict[str, object] = {}
            if "stream_options" in fields:
                current = msgspec.json.decode(fields["stream_options"])
                if isinstance(current, dict):
                    options = current
            options["include_usage"] = True
            fields["stream_options"] = msgspec.Raw(msgspec.json.encode(options))
        return msgspec.json.encode(fields)

    def output_allowance(self) -> int | None:
        """Completion tokens the request allows in all (``max_completion_tokens``, else
        ``max_tokens``, times ``n``); ``None`` when it sets no maximum. Values of the wrong
        type are not ours to judge (the upstream answers them): they count as unset."""
        limit = None
        for name in ("max_completion_tokens", "max_tokens"):
            if name in self.fields:
                limit = _optional_count(self.fields[name])
                if limit is not None:
                    break
        if limit is None:
            return None
        n = _optional_count(self.fields["n"]) if "n" in self.fields else None
        return limit * max(1, n or 1)


def _optional_count(raw: msgspec.Raw) -> int | None:
    try:
        value = msgspec.json.decode(raw, type=int | None)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return value if value is not None and value >= 0 else None


def _field(raw: msgspec.Raw, name: str, type_: type[object], expected: str) -> object:
    try:
        return msgspec.json.decode(raw, type=type_)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise BadRequestError(f"`{name}` must be {expected}", param=name) from None


def parse_body(raw: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> PassThroughBody:
    """Split a chat/embeddings body into raw fields; 400 naming the field when it is wrong.

    Only the fields the gateway acts on are checked, plus the nesting of the whole body (at most
    ``max_depth`` levels); the upstream validates the rest and its 4xx reaches the caller with
    the upstream's own message and ``param``.
    """
    check_request_json(raw, max_depth)
    try:
        fields = _fields_decoder.decode(raw)
    except msgspec.ValidationError:
        raise BadRequestError(
            "the request body must be a JSON object", code="invalid_json"
        ) from None
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"the request body is not valid JSON: {exc}", code="invalid_json"
        ) from None
    if "model" not in fields:
        raise BadRequestError(
            "you must provide a model parameter", param="model", code="missing_required_parameter"
        )
    model = _field(fields["model"], "model", str, "a string")
    assert isinstance(model, str)
    if not model:
        raise BadRequestError("`model` must not be empty", param="model")
    stream = False
    if "stream" in fields:
        stream = bool(_field(fields["stream"], "stream", bool | None, "a boolean"))  # type: ignore[arg-type]
    include_usage = False
    if "stream_options" in fields:
        opts = _field(
            fields["stream_options"],
            "stream_options",
            _StreamOptions | None,  # type: ignore[arg-type]
            'an object such as {"include_usage": true}',
        )
        include_usage = bool(isinstance(opts, _StreamOptions) and opts.include_usage)
    return PassThroughBody(fields, model, stream, include_usage, len(raw), raw)


TokenCount = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
"""An upstream's token count: a negative or absurd one would refund or overflow quotas, so a
usage block holding one is not counted at all."""


class Usage(msgspec.Struct):
    """Token counts as OpenAI-compatible servers report them (chat and embeddings)."""

    prompt_tokens: TokenCount = 0
    completion_tokens: TokenCount = 0
    total_tokens: TokenCount = 0


class Answer(msgspec.Struct):
    """What the gateway reads of an upstream answer (or stream chunk): its usage, and the
    ``model`` and ``id`` it names (kept raw, so an odd value never costs the usage)."""

    usage: Usage | None = None
    model: msgspec.Raw = msgspec.Raw(b"")
    id: msgspec.Raw = msgspec.Raw(b"")

    @property
    def model_name(self) -> str | None:
        """``model`` when it is a string."""
        return _string(self.model)

    @property
    def answer_id(self) -> str | None:
        """``id`` when it is a string."""
        return _string(self.id)


def _string(raw: msgspec.Raw) -> str | None:
    view = memoryview(raw)
    # A name, not a payload: an odd or huge value is not read.
    if len(view) > 1024 or view[:1].tobytes() != b'"':
        return None
    try:
        value = msgspec.json.decode(raw, type=str)
    except msgspec.DecodeError:
        return None
    return value[:256]


_answer_decoder = msgspec.json.Decoder(Answer)


def read_answer(body: bytes | memoryview) -> Answer:
    """The :class:`Answer` of a response or stream chunk (no usage when absent or oddly shaped).

    Raises:
        msgspec.DecodeError: ``body`` is not a JSON object, or nests too deeply to decode (the
            caller maps it to a 502).
    """
    if nesting_over(body, UPSTREAM_MAX_DEPTH) is not None:
        raise msgspec.DecodeError(f"JSON nested deeper than {UPSTREAM_MAX_DEPTH} levels")
    try:
        return _answer_decoder.decode(body)
    except msgspec.ValidationError:
        if not bytes(body[:64]).lstrip().startswith(b"{"):
            raise msgspec.DecodeError("not a JSON object") from None
        # A usage block we cannot read must not fail a good answer; it is just not counted.
        return Answer()


def read_usage(body: bytes | memoryview) -> Usage | None:
    """The ``usage`` of a response or stream chunk (``None`` when absent or oddly shaped).

    Raises:
        msgspec.DecodeError: as :func:`read_answer`.
    """
    return read_answer(body).usage


def completion_to_sse(raw: bytes, include_usage: bool) -> bytes:
    """A whole ``chat.completion`` JSON as the SSE stream the caller asked for.

    Some OpenAI-compatible servers ignore ``stream: true`` and answer JSON; a streaming client
    given JSON yields nothing, silently, so the gateway replays the answer as one content chunk
    per choice, the usage chunk when asked for, and ``[DONE]``.

    Raises:
        msgspec.DecodeError: ``raw`` is not a JSON object with a ``choices`` list.
    """
    if nesting_over(raw, UPSTREAM_MAX_DEPTH) is not None:
        raise msgspec.DecodeError(f"JSON nested deeper than {UPSTREAM_MAX_DEPTH} levels")
    data = msgspec.json.decode(raw)
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise msgspec.DecodeError("not a chat completion")
    head = {
        "id": data.get("id"),
        "object": "chat.completion.chunk",
        "created": data.get("created"),
        "model": data.get("model"),
        "system_fingerprint": data.get("system_fingerprint"),
    }
    choices = []
    for choice in data["choices"]:
        if not isinstance(choice, dict):
            raise msgspec.DecodeError("not a chat completion")
        delta = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        choices.append(
            {
                "index": choice.get("index", 0),
                "delta": delta,
                "logprobs": choice.get("logprobs"),
                "finish_reason": choice.get("finish_reason"),
            }
        )
    out = [msgspec.json.encode({**head, "choices": choices})]
    if include_usage and data.get("usage") is not None:
        out.append(msgspec.json.encode({**head, "choices": [], "usage": data["usage"]}))
    return b"".join(b"data: " + event + b"\n\n" for event in out) + b"data: [DONE]\n\n"
