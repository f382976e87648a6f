"""Batch and file protocol units: signed URLs, line and create parsing, output lines and the
[files]/[batches] config checks (property tests included)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigateway.batches.protocol import (
    parse_create_mistral,
    parse_create_openai,
    parse_line,
)
from aigateway.config import parse_config
from aigateway.errors import BadRequestError, ConfigError, GoneError, PermissionDeniedError
from aigateway.files.signing import SignedRef, Signer, parse_signed_url

KEY = b"unit-test-signing-key-000"


def test_signed_url_round_trip_and_refusals() -> None:
    signer = Signer(KEY)
    exp = int(time.time()) + 60
    url = f"http://gw/v1/files/abc/signed?{signer.query('acme', 'abc', exp)}"
    ref = parse_signed_url(url)
    assert ref is not None and (ref.tenant, ref.file_id, ref.expires) == ("acme", "abc", exp)
    signer.verify(ref)
    with pytest.raises(GoneError):
        signer.verify(ref, now=exp)
    with pytest.raises(PermissionDeniedError):
        Signer(b"another-key-entirely-000").verify(ref)
    assert parse_signed_url("http://gw/v1/files/abc/content?tenant=a&expires=1&signature=x") is None
    assert (
        parse_signed_url("http://gw/v1/files/abc/signed?tenant=a&expires=soon&signature=x") is None
    )


@settings(max_examples=200)
@given(
    field=st.sampled_from(["tenant", "file_id", "expires", "signature"]),
    junk=st.text(min_size=1, max_size=12),
)
def test_any_altered_part_of_a_signed_url_is_refused(field: str, junk: str) -> None:
    signer = Signer(KEY)
    exp = int(time.time()) + 3600
    sig = signer.query("acme", "f1", exp).rsplit("=", 1)[1]
    parts: dict[str, Any] = {"tenant": "acme", "file_id": "f1", "expires": exp, "signature": sig}
    if field == "expires":
        parts[field] = exp + 1 + len(junk)
    else:
        parts[field] = str(parts[field]) + junk
    with pytest.raises(PermissionDeniedError):
        signer.verify(SignedRef(**parts))


@settings(max_examples=300)
@given(
    raw=st.binary(max_size=200)
    | st.builds(
        lambda v: json.dumps(v).encode(),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["custom_id", "body", "method", "url", "x"]), c, max_size=4
                )
            ),
            max_leaves=8,
        ),
    )
)
def test_parse_line_only_ever_raises_the_gateways_400(raw: bytes) -> None:
    try:
        line = parse_line(raw, 3, "/v1/ocr")
    except BadRequestError as exc:
        assert exc.param in ("line", "body", "custom_id", "method", "url")
    else:
        assert isinstance(line.body, dict) and line.custom_id


def test_parse_line_forms() -> None:
    line = parse_line(b'{"body": {"a": 1}}', 7, "/v1/ocr")
    assert (line.custom_id, line.body) == ("7", {"a": 1})
    openai = b'{"custom_id": "x", "method": "POST", "url": "/v1/ocr", "body": {}}'
    assert parse_line(openai, 0, "/v1/ocr").custom_id == "x"
    with pytest.raises(BadRequestError) as info:
        parse_line(openai, 0, "/v1/embeddings")
    assert info.value.param == "url"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "endpoint"),
        ({"endpoint": "/v1/ocr"}, "input_files"),
        ({"endpoint": "/v1/ocr", "input_files": [], "requests": []}, "input_files"),
        ({"endpoint": "/v1/ocr", "input_files": "x"}, "input_files"),
        ({"endpoint": "/v1/ocr", "requests": [{"nobody": 1}]}, "requests[0].body"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "agent_id": "x"}, "agent_id"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "model": 5}, "model"),
        ({"endpoint": "/v1/ocr", "input_files": ["a"], "metadata": {"k": [1]}}, "metadata.k"),
    ],
)
def test_mistral_create_names_the_bad_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_mistral(body)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"endpoint": "/v1/ocr"}, "input_file_id"),
        (
            {"endpoint": "/v1/ocr", "input_file_id": "f", "completion_window": "1h"},
            "completion_window",
        ),
        ({"endpoint": "/v1/responses", "input_file_id": "f"}, "endpoint"),
    ],
)
def test_openai_create_names_the_bad_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_openai(body)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('[files]\nbackend = "s3"\ns3_bucket = "b"\n', "$.files.signing_key"),
        ('[files]\nbackend = "s3"\nsigning_key = "0123456789abcdef"\n', "$.files.s3_bucket"),
        ('[files]\nsigning_key = "short"\n', "$.files.signing_key"),
        ("[batches]\nocr_share = 0\n", "$.batches.ocr_share"),
        ('[batches]\nwebhook_url = "ftp://x"\n', "$.batches.webhook_url"),
        ('[batches]\nwebhook_url = "http://x"\n', "$.batches.webhook_secret"),
        ("[files]\nenabled = false\n", "$.batches.enabled"),
        ("[files]\nbogus = 1\n", "$.files"),
    ],
)
def test_config_errors_name_the_key(extra: str, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(extra)
    assert path in str(info.value)


def test_a_line_nesting_past_max_json_depth_is_refused_before_decoding() -> None:
    deep = b'{"custom_id": "d", "body": {"x": ' + b"[" * 70 + b"]" * 70 + b"}}"
    with pytest.raises(BadRequestError) as info:
        parse_line(deep, 0, "/v1/ocr", max_depth=64)
    assert info.value.param == "body"
    assert parse_line(deep, 0, "/v1/ocr", max_depth=128).custom_id == "d"


def test_output_lines_stay_one_line_whatever_the_upstream_sent() -> None:
    from aigateway.batches.execute import output_line
    from aigateway.batches.protocol import Line

    pretty = b'{\n  "choices": [\r\n    {"text": "a\\nb"}\n  ]\n}\n'
    out = output_line(Line(0, "c0", {}), 200, pretty, None, "rid")
    assert b"\n" not in out and b"\r" not in out
    assert json.loads(out)["response"]["body"] == {"choices": [{"text": "a\nb"}]}


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=10,
)


_create_keys = st.sampled_from(
    [
        "endpoint",
        "input_files",
        "requests",
        "model",
        "metadata",
        "agent_id",
        "input_file_id",
        "completion_window",
        "custom_id",
        "body",
    ]
)


@settings(max_examples=300)
@given(
    body=st.dictionaries(_create_keys, _json_values | st.just("/v1/ocr"), max_size=6) | _json_values
)
def test_create_bodies_only_ever_raise_the_gateways_400(body: Any) -> None:
    for parse in (parse_create_mistral, parse_create_openai):
        try:
            spec = parse(body)
        except BadRequestError as exc:
            assert exc.status_code == 400
        else:
            assert spec.endpoint == "/v1/ocr" and spec.input_files is not None


def test_timeout_hours_is_checked() -> None:
    with pytest.raises(BadRequestError) as info:
        parse_create_mistral({"endpoint": "/v1/ocr", "input_files": ["a"], "timeout_hours": 0})
    assert info.value.param == "timeout_hours"
