"""The quality corpus is the same on every machine: its grain and its faxes' noise come from the
seeded generator.

Pillow's ``effect_noise`` draws from C's unseeded ``rand()``, so grainy pages built with it
differed between machines and runs under one corpus version, and their scores with them.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from types import ModuleType

from PIL import ImageStat

from ..support.server import REPO


def _corpus() -> ModuleType:
    """``bench/corpus.py`` (not a package: loaded from its file)."""
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while being defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_grain_is_the_seeds_own() -> None:
    corpus = _corpus()
    first = corpus._grain((300, 200), 45.0, 200, random.Random("src/noisy/7"))
    again = corpus._grain((300, 200), 45.0, 200, random.Random("src/noisy/7"))
    other = corpus._grain((300, 200), 45.0, 200, random.Random("src/noisy/8"))
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    assert first.size == (300, 200) and first.mode == "L"


def test_grain_has_the_asked_level_and_spread() -> None:
    stat = ImageStat.Stat(_corpus()._grain((400, 400), 12.0, 235, random.Random(1)))
    assert abs(stat.mean[0] - 235) < 1.0
    assert 10.0 < stat.stddev[0] < 13.0  # clipped at 255 a little above the mean


def test_faxes_are_one_bit_at_fax_resolution_and_the_seeds_own() -> None:
    import io

    from PIL import Image, ImageDraw

    page = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(page).text((50, 50), "A fax page " * 4, fill=0)
    corpus = _corpus()
    seen = set()
    for seed in range(12):
        data = corpus._fax(page, random.Random(f"src/fax/{seed}"))
        assert data == corpus._fax(page, random.Random(f"src/fax/{seed}"))
        with Image.open(io.BytesIO(data)) as img:
            dpi = tuple(round(v) for v in img.info["dpi"])
            assert img.mode == "1" and dpi in ((204, 196), (204, 98))
            assert img.size == (round(600 * 204 / 300), round(800 * dpi[1] / 300))
            seen.add(dpi)
            black = img.convert("L").histogram()[0] / (img.width * img.height)
            assert 0.002 < black < 0.05  # the text and the line noise
    assert seen == {(204, 196), (204, 98)}  # both modes among twelve pages


def test_more_pages_come_after_the_tune_pages_and_leave_them_alone() -> None:
    corpus = _corpus()
    base = max(corpus.PAGES.values()) + sum(corpus.PAGES.values())
    pages = list(range(base + sum(corpus.MORE.values())))
    tune = corpus.assign(pages, "tune")
    report = corpus.assign(pages[:base], "report")
    main = [(c, p) for s, c, p in tune if s == "tune"]
    # The tune split's pages are the report-shaped assignment of the same pages.
    assert main == [(c, p) for _, c, p in report]
    more = [(c, p) for s, c, p in tune if s == "more"]
    assert [c for c, _ in more] == list(corpus.MORE)
    taken = [i for _, p in more for i in p]
    assert len(taken) == len(set(taken)) == sum(corpus.MORE.values())
    assert min(taken) >= base  # never a page the tune split reads
    assert all(s != "more" for s, _, _ in report)  # report sources give no more pages
    # A source with few pages gives fewer (or no) more pages, never tune pages again.
    short = corpus.assign(pages[: base + 3], "tune")
    assert sum(len(p) for s, _, p in short if s == "more") == 3


def test_each_manual_and_package_feeds_one_split_and_unseen_sources_give_no_more_pages() -> None:
    """A split stands for documents the engine was not tuned on only if no other split draws on
    the same manual; the unseen split's sources are sampled as the report split's are."""
    corpus = _corpus()
    splits: dict[str, set[str]] = {}
    for src in corpus.SOURCES:
        splits.setdefault(src.path, set()).add(src.split)
    assert all(len(s) == 1 for s in splits.values())
    by_package: dict[str, set[str]] = {}
    for src in corpus.SOURCES:
        by_package.setdefault(src.package, set()).add(src.split)
    assert all(len(s) == 1 for s in by_package.values())
    assert {src.split for src in corpus.SOURCES} == {"tune", "report", "unseen"}
    base = max(corpus.PAGES.values()) + sum(corpus.PAGES.values())
    unseen = corpus.assign(list(range(base + 20)), "unseen")
    assert {s for s, _, _ in unseen} == {"unseen"}
    assert [c for _, c, _ in unseen] == list(corpus.PAGES)
