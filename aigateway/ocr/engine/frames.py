"""Ruled frames: whether two rows of cells stand in a table's rules.

The layout pass (:mod:`.layout`) takes a run of rows for a table when at least
:data:`~.geometry.MIN_ROWS` of them are split into cells in steady columns: two aligned rows
alone are too often chance. Two rows in a ruled frame are not: a header and its one row of
values (an invoice's number, date and due date; a protocol's field sizes over their names),
boxed or set between rules, are a table, and came back as two lines of words run together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .geometry import Row

__all__ = ("RULE_REACH", "Rules", "ruled")

Rules = Callable[[], Sequence[tuple[int, int, int]]]
"""The page's horizontal rules as ``(y, x0, x1)`` (:func:`.ink.horizontal_rules`), asked for
only when a run of rows could be a ruled table (finding them costs a pass over the page)."""

RULE_REACH = 2.5
"""Text heights from a ruled table's first row up to its top rule, or from its last row down
to its bottom rule."""


def ruled(run: Sequence[Row], height: float, rules: Rules | None) -> bool:
    """Whether ``run`` is two rows, each split into cells, framed as a table: a rule runs
    across both rows' width in the gap between them, and another above the first or below
    the second, within :data:`RULE_REACH` (a page's running head over a rule, with the first
    row of two columns of text under it, has none below it)."""
    if rules is None or len(run) != 2 or any(len(r.segments) < 2 for r in run):
        return False
    # A rule spans the cells it frames, up to a text height short of the outer ones' ends.
    left = min(s[0] for r in run for s in r.segments) + height
    right = max(s[1] for r in run for s in r.segments) - height
    across = [y for y, x0, x1 in rules() if x0 <= left and x1 >= right]
    first, second = run
    reach = RULE_REACH * height
    between = any(first.bottom < y < second.top for y in across)
    return between and any(
        0 < first.top - y <= reach or 0 < y - second.bottom <= reach for y in across
    )
