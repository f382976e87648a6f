"""Vertical runs of inked cells (``ink.long_runs``): rules, frames and pictures' edges are
found as runs of ``n`` cells or more, by whole-array operations, exactly as a column-by-column
scan finds them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aigateway.ocr.engine.ink import long_runs


def _scan(grid: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros_like(grid)
    for x in range(grid.shape[1]):
        y = 0
        while y < grid.shape[0]:
            if not grid[y, x]:
                y += 1
                continue
            end = y
            while end < grid.shape[0] and grid[end, x]:
                end += 1
            if end - y >= n:
                out[y:end, x] = True
            y = end
    return out


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.bool_, st.tuples(st.integers(1, 30), st.integers(1, 12))),
    st.integers(1, 35),
)
def test_long_runs_are_the_runs_a_scan_finds(grid: np.ndarray, n: int) -> None:
    assert (long_runs(grid, n) == _scan(grid, n)).all()
    assert (long_runs(grid.T, n) == _scan(grid.T, n)).all()
