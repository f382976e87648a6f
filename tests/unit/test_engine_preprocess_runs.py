"""Runs of true values, joined across short gaps (``ink.runs``): shared by the scanner
streak search (every gap parts runs) and the search for lines read in part (a gap of one or
two blank columns inside a glyph does not)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from aigateway.ocr.engine.ink import runs


@given(st.lists(st.booleans(), max_size=60), st.integers(min_value=1, max_value=5))
def test_runs_are_the_true_stretches_joined_across_short_gaps(flags: list[bool], gap: int) -> None:
    found = runs(flags, gap)
    covered = [k for a, b in found for k in range(a, b)]
    # Every true value in exactly one run; runs start and end on true values, in order, at
    # least ``gap`` false values apart; with ``gap`` 1 they hold true values only.
    assert sorted(set(covered)) == covered
    assert {k for k, f in enumerate(flags) if f} <= set(covered)
    assert all(flags[a] and flags[b - 1] for a, b in found)
    assert all(c - b >= gap for (_, b), (c, _) in itertools.pairwise(found))
    if gap == 1:
        assert covered == [k for k, f in enumerate(flags) if f]


def test_a_short_gap_joins_and_a_long_one_parts() -> None:
    flags = [True, True, False, True, False, False, False, True]
    assert runs(flags) == [(0, 2), (3, 4), (7, 8)]
    assert runs(flags, 2) == [(0, 4), (7, 8)]
    assert runs(flags, 4) == [(0, 8)]
    assert runs([]) == [] and runs([False, False]) == []
