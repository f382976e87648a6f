"""The public API is what ``aigateway.__all__`` says, sorted, and every name has a docstring."""

from __future__ import annotations

import aigateway


def test_all_is_sorted_complete_and_documented() -> None:
    public = {n for n in dir(aigateway) if not n.startswith("_")}
    # Submodules and the `from __future__` feature object are not API.
    modules = {n for n in public if type(getattr(aigateway, n)).__name__ in ("module", "_Feature")}
    assert set(aigateway.__all__) == (public - modules) | {"__version__"}
    names = [n for n in aigateway.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in names:
        assert getattr(aigateway, name).__doc__, name
