"""Property and example tests of the pure OCR request normalization."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigateway.blob import Base64Blob, Blob
from aigateway.errors import BadRequestError, GatewayError, PayloadTooLargeError
from aigateway.ocr.normalize import (
    decode_base64,
    normalize_form,
    normalize_json,
    parse_pages,
    resolve_media_type,
    sniff_media_type,
)

MAGIC = {
    "application/pdf": b"%PDF-1.7\n",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a",
    "image/tiff": b"II*\x00",
}

documents = st.builds(
    lambda kind, tail: MAGIC[kind] + tail,
    st.sampled_from(sorted(MAGIC)),
    st.binary(min_size=1, max_size=600),
)


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _forms(data: bytes, mime: str) -> list[tuple[str, Any]]:
    """The same document in every JSON form the contract lists."""
    b64 = base64.b64encode(data).decode()
    urlsafe = base64.urlsafe_b64encode(data).decode().rstrip("=")
    uri = f"data:{mime};base64,{b64}"
    kind = "image_url" if mime.startswith("image/") else "document_url"
    return [
        ("document_base64 raw", {"document_base64": b64}),
        ("document_base64 wrapped", {"document_base64": _wrap(b64, 76)}),
        ("document_base64 urlsafe unpadded", {"document_base64": urlsafe}),
        ("document_base64 data uri", {"document_base64": uri}),
        ("image_base64", {"image_base64": b64}),
        ("nested document_base64", {"document": {"document_base64": b64}}),
        ("mistral object", {"document": {"type": kind, kind: uri}}),
        (
            "mistral image_url object",
            {"document": {"type": "image_url", "image_url": {"url": uri}}},
        ),
        ("mistral untyped", {"document": {kind: uri}}),
        ("top image_url object", {"image_url": {"url": uri}}),
        ("flat document_url", {"document_url": uri}),
        ("flat image_url", {"image_url": uri}),
        ("document string", {"document": uri}),
    ]


def _resolved(req: Any) -> tuple[bytes, str]:
    src = req.source
    assert src.blob is not None
    return src.blob.read(), resolve_media_type(req.content_type, src.declared_type, src.blob.head())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents)
def test_every_form_normalizes_to_the_same_document(data: bytes) -> None:
    mime = sniff_media_type(data)
    assert mime is not None
    results = {name: _resolved(normalize_json(body)) for name, body in _forms(data, mime)}
    form = normalize_form(
        {"pages": "0"}, ("image", Blob.from_bytes(data), "application/octet-stream", "x.bin")
    )
    results["multipart"] = _resolved(form)
    assert set(results.values()) == {(data, mime)}, results


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "document",
        "document_url",
        "image_url",
        "document_base64",
        "image_base64",
        "pages",
        "model",
        "provider",
        "content_type",
        "pdf_password",
        "include_image_base64",
        "image_limit",
        "image_min_size",
        "table_format",
        "extract_header",
        "document_annotation_format",
        "type",
        "url",
        "file_id",
    ]
)
bodies = st.recursive(
    st.dictionaries(field_names, json_values, max_size=6),
    lambda children: st.dictionaries(field_names, children | json_values, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300)
@given(body=bodies | json_values)
def test_arbitrary_json_only_raises_gateway_4xx(body: Any) -> None:
    try:
        normalize_json(body, max_bytes=10_000)
    except GatewayError as exc:
        assert 400 <= exc.status_code < 500
        assert exc.message


@settings(max_examples=200)
@given(fields=st.dictionaries(field_names, st.text(max_size=30), max_size=6))
def test_arbitrary_form_fields_only_raise_gateway_4xx(fields: dict[str, str]) -> None:
    try:
        normalize_form(fields, None, max_bytes=10_000)
    except GatewayError as exc:
        assert 400 <= exc.status_code < 500


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param([2, 0, 2], (0, 2), id="list-dedup-sorted"),
        pytest.param("0-2,5", (0, 1, 2, 5), id="ranges"),
        pytest.param(" 3 ", (3,), id="single-string"),
        pytest.param("[0, 1]", (0, 1), id="json-list-string"),
        pytest.param(4, (4,), id="int"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_pages(value: Any, expected: Any) -> None:
    assert parse_pages(value) == expected


@pytest.mark.parametrize(
    "value",
    [[-1], "2-1", "a", [True], [1.5], "0-99999999999", {}, [], "1,,x"],
)
def test_parse_pages_rejects_with_field_name(value: Any) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_pages(value)
    assert info.value.param == "pages"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"document": {"type": "file", "file_id": 5}}, "document.file_id"),
        ({"document": {"type": "file"}}, "document.file_id"),
        ({"document": {"type": "video_url"}}, "document.type"),
        ({"document": 5}, "document"),
        ({"document_url": "ftp://example.com/x.pdf"}, "document_url"),
        ({"document_url": "file:///etc/passwd"}, "document_url"),
        ({"document_base64": "***"}, "document_base64"),
        ({"document_base64": "QQ=", "model": 3}, "model"),
        ({"image_url": {"nourl": 1}}, "image_url"),
        ({"document_url": "data:application/pdf;base64,@@@"}, "document_url"),
        ({"document_base64": ""}, "document_base64"),
        ({"document_url": "https://x/y.pdf", "table_format": "latex"}, "table_format"),
        ({"document_url": "https://x/y.pdf", "image_limit": -1}, "image_limit"),
        (
            {"document_url": "https://x/y.pdf", "include_image_base64": "yes"},
            "include_image_base64",
        ),
        ({"document_url": "https://x/y.pdf", "content_type": "pdf"}, "content_type"),
        (
            {"document_url": "https://x/y.pdf", "document_annotation_format": {"type": "text"}},
            "document_annotation_format.type",
        ),
        ({}, "document"),
    ],
)
def test_bad_values_name_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(BadRequestError) as info:
        normalize_json(body)
    assert info.value.param == param
    assert info.value.status_code == 400


def test_unknown_fields_are_ignored_and_options_parsed() -> None:
    req = normalize_json(
        {
            "model": None,
            "document": {"type": "document_url", "document_url": "https://example.com/a.pdf"},
            "include_blocks": True,
            "confidence_scores_granularity": "page",
            "pages": "0-1",
            "include_image_base64": True,
            "image_limit": 3,
            "table_format": "html",
            "document_annotation_format": {
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"type": "object"}},
            },
        }
    )
    assert req.model is None
    assert req.source.url == "https://example.com/a.pdf"
    assert req.options.pages == (0, 1)
    assert req.options.include_image_base64 is True
    assert req.options.image_limit == 3
    assert req.options.document_annotation_format is not None


def test_first_match_wins_base64_over_url() -> None:
    req = normalize_json({"document_base64": "SGVsbG8=", "document_url": "https://x/y.pdf"})
    assert req.source.blob is not None and req.source.blob.read() == b"Hello"


def test_inline_document_over_cap_is_413_before_decoding() -> None:
    with pytest.raises(PayloadTooLargeError) as info:
        normalize_json({"document_base64": "A" * 4000}, max_bytes=1000)
    assert "1000" in info.value.message


def test_decode_base64_tolerance() -> None:
    data = bytes(range(256))
    b64 = base64.b64encode(data).decode()
    assert decode_base64(b64, "f") == data
    assert decode_base64(b64.rstrip("="), "f") == data
    assert decode_base64(base64.urlsafe_b64encode(data).decode(), "f") == data
    assert decode_base64(" \n".join([b64[:10], b64[10:]]), "f") == data


@pytest.mark.parametrize(
    ("content_type", "declared", "head", "expected"),
    [
        ("image/jpg", None, b"%PDF-", "image/jpeg"),
        (None, "application/pdf", b"\x89PNG\r\n\x1a\n....", "image/png"),
        (None, "application/octet-stream", b"%PDF-1.4", "application/pdf"),
        (None, "image/jpg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        (None, None, b"unknown", "application/octet-stream"),
        # Not a document either way: the 415 names what the caller called it.
        (None, "text/plain", b"hello", "text/plain"),
        (None, "application/octet-stream", b"unknown", "application/octet-stream"),
        (None, "application/octet-stream", b"  <svg xmlns='x'>", "image/svg+xml"),
        (None, None, b"<!DOCTYPE html><html>", "text/html"),
        (None, None, b"PK\x03\x04....", "application/zip"),
        (None, "text/plain", b'{"a": 1}', "application/json"),
        (None, "application/vnd.ms-excel", b"PK\x03\x04", "application/vnd.ms-excel"),
        # An iPhone's photo, however it is labelled; AVIF by its own brand.
        (None, "image/heif", b"\x00\x00\x00\x1cftypheic\x00\x00", "image/heic"),
        (None, None, b"\x00\x00\x00\x18ftyphevc\x00\x00", "image/heic"),
        ("image/heif", None, b"", "image/heic"),
        (None, None, b"\x00\x00\x00\x20ftypavif\x00\x00", "image/avif"),
    ],
)
def test_media_type_resolution(
    content_type: str | None, declared: str | None, head: bytes, expected: str
) -> None:
    assert resolve_media_type(content_type, declared, head) == expected


def test_form_fields_read_like_json() -> None:
    req = normalize_form(
        {
            "pages": "[0,2]",
            "include_image_base64": "true",
            "image_limit": "2",
            "document_url": "https://example.com/d.pdf",
        },
        None,
    )
    assert req.options.pages == (0, 2)
    assert req.options.include_image_base64 is True
    assert req.options.image_limit == 2
    assert req.source.url == "https://example.com/d.pdf"
    with pytest.raises(BadRequestError) as info:
        normalize_form({"include_image_base64": "perhaps", "document_url": "https://x/y"}, None)
    assert info.value.param == "include_image_base64"


@pytest.mark.parametrize("tail", [0, 1, 2])
def test_long_canonical_base64_stays_lazy_and_decodes_identically(tail: int) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 400 + b"x" * tail
    text = base64.b64encode(data).decode()
    for body in (
        {"document_base64": text},
        {"document_url": f"data:application/pdf;base64,{text}"},
    ):
        blob = normalize_json(body, max_bytes=len(data)).source.blob
        assert isinstance(blob, Base64Blob)
        assert blob.size == len(data)
        assert blob.head(9) == data[:9]
        assert blob.read() == data
        assert blob.base64_text() is None  # decoded once, held once
    with pytest.raises(PayloadTooLargeError):
        normalize_json({"document_base64": text}, max_bytes=len(data) - 1)


def test_corrupt_middle_of_lazy_base64_is_a_400_when_read() -> None:
    text = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(200_000)).decode()
    broken = text[:100_000] + "*" + text[100_001:]
    blob = normalize_json({"image_base64": broken}).source.blob
    assert blob is not None
    assert blob.head(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(BadRequestError) as info:
        blob.read()
    assert info.value.param == "image_base64"
    # Whitespace-wrapped (non-canonical) text is decoded at once, leniently.
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    eager = normalize_json({"image_base64": wrapped}).source.blob
    assert eager is not None
    assert not isinstance(eager, Base64Blob)
