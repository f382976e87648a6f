"""The page builder: start-up data can hold any string without leaving its JSON block."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aigateway.http.webpage import build_page

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_any_data_stays_inside_its_block_and_round_trips(data: Any) -> None:
    page = build_page(
        "aigateway.playground",
        "static/index.html",
        scripts=("static/markdown.js",),
        styles=("static/app.css",),
        data=data,
    )
    html = page.body.decode()
    m = re.search(r'<script type="application/json" id="config">(.*?)</script>', html, re.S)
    assert m is not None
    block = m.group(1)
    # Nothing in the block can end it or switch the HTML parser's script state.
    assert "<" not in block
    assert json.loads(block) == data
    assert html.count("<script") == 2
