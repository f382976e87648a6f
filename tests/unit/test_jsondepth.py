"""The JSON depth scan agrees with the depth of the decoded value, whatever the strings hold."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aigateway.jsondepth import nesting_over
from aigateway.ocr.normalize.jsonbody import decode_ocr_body

# Strings full of what could fool a scanner: brackets, quotes, backslashes, escapes.
tricky = st.text(alphabet=st.sampled_from('[]{}"\\/ab\n\u00e9\u2028'), max_size=12)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky, inner, max_size=4),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@given(values, st.integers(min_value=1, max_value=8), st.booleans())
def test_scan_matches_the_decoded_depth(value: Any, limit: int, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = _depth(value) > limit
    assert (nesting_over(text, limit) is not None) == expected
    assert (nesting_over(text.encode(), limit) is not None) == expected


@given(tricky, st.integers(min_value=2, max_value=6))
def test_the_key_named_is_the_top_level_key_that_went_deep(key: str, limit: int) -> None:
    value = {"shallow": [1], key: [[[[[[[[]]]]]]]], "after": "x"}
    found = nesting_over(json.dumps(value), limit)
    assert found is not None
    assert found.key == key[:64]


def test_escapes_split_across_scan_blocks_are_read_right() -> None:
    # A run of backslashes straddling the 1 MiB block edge must not flip inside/outside.
    pad = "a" * ((1 << 20) - 3)
    value = {"s": pad + "\\\\\\\\" + "[" * 100, "t": [[1]]}
    assert nesting_over(json.dumps(value), 3) is None
    assert nesting_over(json.dumps(value), 1) is not None


@given(values)
def test_pruned_ocr_body_keeps_exactly_the_fields_normalize_reads(extra: Any) -> None:
    body = {
        "model": "m",
        "pages": [0, 1],
        "junk": extra,
        "document": {
            "type": "image_url",
            "image_url": {"url": "data:,x", "detail": extra},
            "other": extra,
        },
    }
    pruned = decode_ocr_body(json.dumps(body).encode(), max_field_bytes=1 << 20, max_depth=64)
    assert pruned == {
        "model": "m",
        "pages": [0, 1],
        "document": {"type": "image_url", "image_url": {"url": "data:,x"}},
    }
