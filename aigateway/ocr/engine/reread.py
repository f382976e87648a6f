"""Second reading of Tesseract's doubtful words by RapidOCR's recogniser (``engine = "auto"``).

Tesseract keeps the page's layout (lines, reading order, tables); only the text of its
low-confidence stretches is re-recognised. A stretch is a run of words on one line with no gap
wider than about one text height (the layout pass never splits inside one), holding a word under
:attr:`~.options.EngineOptions.reread_below`. Each stretch is cropped with a margin and read by
RapidOCR's text recogniser alone (no detector, so a crop costs milliseconds, not a page's
detection). Its text replaces Tesseract's when the recogniser is sure of it
(:data:`MIN_SCORE`) and its length is plausible for the box (a crop that caught a neighbour's
ink reads as something much longer or shorter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from difflib import SequenceMatcher
from statistics import median_high

from PIL import Image

from . import diacritics, suspects
from .crops import recognize
from .geometry import Line, Word
from .strays import Stray

__all__ = (
    "CLEANED_BELOW",
    "CLEANED_BUDGET",
    "DOUBT_SHARE",
    "MIN_SCORE",
    "extends",
    "page_budget",
    "plan",
    "recognize",
    "reread",
)

MIN_SCORE = 0.9
"""RapidOCR's line score (0-1) above which its text replaces Tesseract's."""

BUDGET = {"bfloat16": 150.0, "float32": 40.0}
"""Crop widths a page may spend, in text heights (all crops together; least confident first),
by the precision the recogniser computes in (:func:`~.rapid.bfloat16`): OpenVINO in bfloat16
reads a crop in about half of the float32 CPU time, so more doubtful words are read for little
more time. Tune split, against ``reread_below`` 60 and 40 text heights: born-digital 1356 -> 1277
edits, scans 1654 -> 1612, 150 DPI 296 -> 268, JPEG 409 -> 375. A budget of 400 read 1-7 %
better again, but slowed the gateway from x0.83 to x0.76 of raw Tesseract's speed (report
split). With the recogniser's classes cut to the page's scripts (:func:`~.charset.charset`)
a budget of 220 read the 54-page tune sample with 1687 edits against 1738 (faxes 605 -> 565,
scans 382 -> 375), but read 17 % more crops through the pool and spent what the cut saved:
kept at 150, for the speed."""


def page_budget() -> float:
    """:data:`BUDGET` for the precision this process's recogniser computes in."""
    from . import rapid

    return BUDGET["bfloat16" if rapid.bfloat16() else "float32"]


CLEANED_BELOW = 90.0
"""On a page read from its clean-up (a grainy page, :data:`~.preprocess.LADDER`), words under
this confidence are read again (when re-reading is on at all), from the page as it was before
the clean-up."""

CLEANED_BUDGET = 1000 / BUDGET["bfloat16"]
"""And such a page may spend this many times :data:`BUDGET` (1000 text heights on OpenVINO,
as measured when its budget was 150). The clean-up's threshold thins
and breaks strokes (``a1`` read ``al``, ``nu11`` read ``nuii``) where the recogniser, trained
on photographs, reads the grey page through its grain: raw RapidOCR reads grainy pages best of
the raw engines. Tune split, 24 grainy pages: 1298 edits with the usual re-reading (from the
cleaned page), 1260 from the grey page with this budget, 1221 with this confidence cut too, for
7 % more time on those pages, which the gateway reads in under half of raw Tesseract's time
(Tesseract reads grain for seconds). Cuts of 95 and 99: 1202 and 1233 edits, for 22 % and 35 %
more time; budget and cut as here but from the cleaned page: 1233."""

DOUBT_SHARE = 0.10
"""A page with more than this share of its words under the re-reading cut is read again as a
cleaned page is (:data:`CLEANED_BUDGET`, :data:`CLEANED_BELOW`): on such a page the budget,
not the recogniser, is what limits the reading (a fax in standard mode, whose rows were
doubled and smoothed, so neither thresholded nor soft enough for the clean-up). Shares of the
tune split: born-digital pages 0-3 %, scans up to 24 %, faxes up to 46 %, the others mostly
under 13 %. Tune split, 126 pages (14 per category): 6598 edits with the usual budget, 6258
with this rule (faxes 1621 -> 1327, JPEG 556 -> 528, scans 1187 -> 1171, no category worse
by more than one edit); shares of 0.06 and 0.15: 6266 and 6323 edits; the cut kept at 80: 6278.
Reading everything again (every page at this budget) read faxes better still (1307) but
born-digital and 150 DPI pages worse, where the recogniser's guesses replace good words."""

GAP = 1.0
"""A gap wider than this many text heights ends a stretch (as the layout pass splits rows)."""


def _stretches(line: Line) -> list[list[int]]:
    """Indices of the line's words, grouped into runs without a wide gap."""
    height = line.height
    runs: list[list[int]] = [[0]]
    for i in range(1, len(line.words)):
        if line.words[i].x0 - line.words[i - 1].x1 > GAP * height:
            runs.append([])
        runs[-1].append(i)
    return runs


def _doubtful(line: Line, run: list[int], below: float) -> list[list[int]]:
    """Runs of consecutive doubtful words in ``run``, each with one sure neighbour either
    side (the recogniser reads a word better in context), overlapping runs merged."""
    parts: list[list[int]] = []
    for k, i in enumerate(run):
        if line.words[i].conf >= below:
            continue
        lo, hi = max(0, k - 1), min(len(run) - 1, k + 1)
        if parts and parts[-1][-1] >= run[lo]:
            parts[-1].extend(j for j in run[lo : hi + 1] if j > parts[-1][-1])
        else:
            parts.append(run[lo : hi + 1])
    return parts


def _grown(line: Line, part: list[int]) -> list[int]:
    """``part`` grown over the words beside it whose boxes lie within its span.

    Tesseract sometimes boxes a word over its neighbours' ink (``(100,`` boxed over
    ``(100,25){right}:``, the ``25)`` and ``{right}:`` after it boxed again on their own). The
    crop of such a stretch reads the neighbours too, and they were left beside the reading
    that already holds them: ``{right}: 25) {right}:``."""
    x0 = min(line.words[i].x0 for i in part)
    x1 = max(line.words[i].x1 for i in part)
    lo, hi = part[0], part[-1]
    while hi + 1 < len(line.words) and line.words[hi + 1].x1 <= x1:
        hi += 1
    while lo > 0 and line.words[lo - 1].x0 >= x0:
        lo -= 1
    return list(range(lo, hi + 1))


def _disjoint(parts: list[list[int]]) -> list[list[int]]:
    """``parts`` (runs of word indices) with the ones that overlap merged, in order."""
    out: list[list[int]] = []
    for part in sorted(parts):
        if out and part[0] <= out[-1][-1]:
            out[-1] = list(range(out[-1][0], max(out[-1][-1], part[-1]) + 1))
        else:
            out.append(part)
    return out


def _within_budget(
    jobs: list[tuple[Line, list[int], tuple[int, int, int, int]]],
    lines: list[Line],
    factor: float = 1.0,
) -> list[tuple[Line, list[int], tuple[int, int, int, int]]]:
    """The least confident crops first, up to :data:`BUDGET` (times ``factor``) text heights
    of width in all.

    The recogniser's cost grows with a crop's width over its height (it is resized to a fixed
    height); the budget bounds the page's extra time whatever the number of doubtful words.
    """

    def doubt(job: tuple[Line, list[int], tuple[int, int, int, int]]) -> float:
        ln, part, _ = job
        return min(ln.words[i].conf for i in part)

    budget = factor * page_budget()
    kept, spent = [], 0.0
    for job in sorted(jobs, key=doubt):
        x0, y0, x1, y1 = job[2]
        cost = (x1 - x0) / max(1, y1 - y0)
        if spent + cost > budget:
            continue
        spent += cost
        kept.append(job)
    return kept


BLIND = 10.0
"""Under this mean confidence, Tesseract's reading says nothing of a stretch's length: a bold
typewriter ``13.73`` read ``nks}47/e}`` at 0 kept it, ``13.73`` being too short for it."""


def _plausible(old: str, new: str, conf: float = 100.0) -> bool:
    a, b = len(old.replace(" ", "")), len(new.replace(" ", ""))
    return b > 0 and (0.0 if conf < BLIND else 0.6 * a) <= b <= 1.6 * a + 2


def extends(old: str, new: str, extra: int) -> bool:
    """``new`` is ``old`` with up to ``extra`` more characters (a lost glyph put back), not a
    different word: most of ``old`` is found in it, in order."""
    a, b = old.replace(" ", ""), new.replace(" ", "")
    if not len(a) < len(b) <= len(a) + extra:
        return False
    kept = sum(m.size for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return kept >= 0.75 * len(a)


def _extend(
    img: Image.Image,
    lines: list[Line],
    strays: Sequence[Stray],
    threads: int,
    languages: Sequence[str],
) -> int:
    """Read each stray again together with the word beside it; keep the reading when it is
    that word plus a few characters. Returns how many words grew."""
    jobs: list[tuple[Line, Word, tuple[int, int, int, int], int, Stray]] = []
    for s in strays:
        ln = lines[s.line]
        w = ln.words[0] if s.side == "left" else ln.words[-1]
        box = (min(w.x0, s.x0), min(w.y0, s.y0), max(w.x1, s.x1), max(w.y1, s.y1))
        extra = math.ceil((s.x1 - s.x0) / (0.3 * ln.height)) + 1
        jobs.append((ln, w, box, extra, s))
    texts = recognize(img, [job[2] for job in jobs], threads, languages)
    grown = 0
    for (ln, w, box, extra, s), (text, score) in zip(jobs, texts, strict=False):
        if score < MIN_SCORE or not extends(w.text, text, extra) or w not in ln.words:
            continue  # not sure, not the word plus a glyph, or the word was re-read already
        ln.words[ln.words.index(w)] = Word(_spaced(text, w, s, ln.height), 100 * score, *box)
        grown += 1
    return grown


SPACED = 0.5
"""Text heights of blank between a stray and its word from which the two are words apart."""


def _spaced(text: str, word: Word, stray: Stray, height: float) -> str:
    """``text``, the word read with the stray beside it, with a space between the two when
    blank a space wide parts them and the recogniser ran them together: a listing's line
    numbers read with their lines' first words (``1 0. 0.``) came back ``10.``."""
    gap = word.x0 - stray.x1 if stray.side == "left" else stray.x0 - word.x1
    if gap < SPACED * height or " " in text:
        return text
    if stray.side == "left" and text.endswith(word.text) and len(text) > len(word.text):
        return f"{text[: -len(word.text)]} {word.text}"
    if stray.side == "right" and text.startswith(word.text) and len(text) > len(word.text):
        return f"{word.text} {text[len(word.text) :]}"
    return text


def reread(
    img: Image.Image,
    lines: list[Line],
    below: float,
    threads: int = 1,
    strays: Sequence[Stray] = (),
    budget: float = 1.0,
    languages: Sequence[str] = ("eng",),
) -> int:
    """Replace, in place, the text of doubtful stretches of ``lines`` read from ``img`` and of
    surer words that look like a letter and a digit read for each other (:mod:`.lookalikes`),
    and read each of ``strays`` (:mod:`.strays`) again with the word it belongs to. ``budget``:
    the page may spend this many times :data:`BUDGET`; ``languages``: the page's Tesseract
    languages, whose characters the recogniser reads (:func:`.charset.charset`). :func:`plan`
    chooses ``below`` and ``budget`` for a page.

    Returns how many stretches and words were replaced. ``below <= 0``: nothing runs.
    """
    if below <= 0:
        return 0
    read: set[int] = set()
    replaced = _doubtful_stretches(img, lines, below, threads, budget, languages, read)
    replaced += suspects.read(img, lines, below, threads, languages, read)
    height = _word_height(lines)
    replaced += diacritics.read(
        img,
        lines,
        threads,
        languages,
        lambda ln: _trim((ln.x0, ln.y0, ln.x1, ln.y1), ln, height),
    )
    return replaced + _extend(img, lines, strays, threads, languages)


def plan(lines: list[Line], below: float, cleaned: bool) -> tuple[float, float]:
    """The cut and budget (:func:`reread`'s ``below`` and ``budget``) for a page's ``lines``
    at the cut ``below``: a page read from its clean-up (``cleaned``), or with more than
    :data:`DOUBT_SHARE` of its words under the cut, gets :data:`CLEANED_BELOW` and
    :data:`CLEANED_BUDGET`; any other page the cut as given and the usual budget."""
    if cleaned or _doubt_share(lines, below) > DOUBT_SHARE:
        return max(below, CLEANED_BELOW), CLEANED_BUDGET
    return below, 1.0


def _doubt_share(lines: list[Line], below: float) -> float:
    """The share of the page's words under ``below``."""
    confs = [w.conf for ln in lines for w in ln.words]
    return sum(1 for c in confs if c < below) / max(1, len(confs))


TALL = 1.5
"""A stretch's box taller than this many of the page's word heights (:func:`_word_height`)
holds more than its line: grain left as specks above or below the text on a cleaned page,
read as words and boxed with it. Its crop is cut to the line's band (:func:`_trim`)."""


def _word_height(lines: list[Line]) -> float:
    """The page's typical word height: the median box height of its words of three
    characters or more (a speck read as a word is one or two)."""
    heights = [w.y1 - w.y0 for ln in lines for w in ln.words if len(w.text) >= 3]
    return float(median_high(heights)) if heights else 0.0


def _trim(box: tuple[int, int, int, int], line: Line, height: float) -> tuple[int, int, int, int]:
    """``box`` cut to ``line``'s band when it is more than :data:`TALL` word heights tall.

    The band is the median top and bottom of the line's words of about the page's word
    height; a crop twice a line's height is shrunk to the recogniser's fixed input height,
    text and specks together, and read as nonsense ("9019 ra m1a0m 2" for a code line)."""
    x0, y0, x1, y1 = box
    if height <= 0 or y1 - y0 <= TALL * height:
        return box
    even = [w for w in line.words if len(w.text) >= 2 and abs(w.y1 - w.y0 - height) <= 0.4 * height]
    if even:
        b0, b1 = float(median_high(w.y0 for w in even)), float(median_high(w.y1 for w in even))
    else:
        mid = median_high((w.y0 + w.y1) / 2 for w in line.words)
        b0, b1 = mid - height / 2, mid + height / 2
    pad = 0.2 * height
    return x0, max(y0, round(b0 - pad)), x1, min(y1, round(b1 + pad))


def _doubtful_stretches(
    img: Image.Image,
    lines: list[Line],
    below: float,
    threads: int,
    budget: float,
    languages: Sequence[str],
    read: set[int],
) -> int:
    """Read the page's doubtful stretches (least sure first, within the budget) and keep the
    readings :func:`_plausible` finds better; ``read`` gets the ids of the doubtful words
    cropped (not of the sure words around them, which the look-alike pass still reads)."""
    jobs: list[tuple[Line, list[int], tuple[int, int, int, int]]] = []
    height = _word_height(lines)
    for ln in lines:
        if not ln.words or min(w.conf for w in ln.words) >= below:
            continue
        parts = [_grown(ln, part) for run in _stretches(ln) for part in _doubtful(ln, run, below)]
        for part in _disjoint(parts):
            words = [ln.words[i] for i in part]
            x0, y0 = min(w.x0 for w in words), min(w.y0 for w in words)
            x1, y1 = max(w.x1 for w in words), max(w.y1 for w in words)
            if x1 - x0 >= 4 and y1 - y0 >= 4:
                jobs.append((ln, part, (x0, y0, x1, y1)))
    if not jobs:
        return 0
    jobs = _within_budget(jobs, lines, budget)
    read.update(id(ln.words[i]) for ln, run, _ in jobs for i in run if ln.words[i].conf < below)
    # The crop is cut to the line's band; a merged reading keeps the words' box, which is
    # what the layout pass placed them by.
    crops = [_trim(box, ln, height) for ln, _, box in jobs]
    texts = recognize(img, crops, threads, languages)
    if not texts:
        return 0
    replaced = 0
    # Right to left within a line, so the indices of runs left of a merged one stay valid.
    done = sorted(zip(jobs, texts, strict=True), key=lambda jt: -jt[0][1][0])
    for (ln, run, box), (text, score) in done:
        old = " ".join(ln.words[i].text for i in run)
        conf = sum(ln.words[i].conf for i in run) / len(run)
        if score < MIN_SCORE or not _plausible(old, text, conf) or text == old:
            continue
        tokens = text.split(" ")
        # Word for word only where the words line up: a space read in another place
        # (``glp_ios_branch_upon —`` read ``glp ios_branch_upon—``) pairs a long word with a
        # short token, and the sure word's token was dropped with the pairing.
        pairs = zip((ln.words[i].text for i in run), tokens, strict=False)
        if len(tokens) == len(run) and all(_plausible(a, b) for a, b in pairs):
            # Word for word: only the doubtful words change (the context words were sure).
            for i, tok in zip(run, tokens, strict=True):
                w = ln.words[i]
                if w.conf < below:
                    ln.words[i] = Word(tok, 100 * score, w.x0, w.y0, w.x1, w.y1)
        else:
            merged = Word(text, 100 * score, box[0], box[1], box[2], box[3])
            ln.words[run[0] : run[-1] + 1] = [merged]
        replaced += 1
    return replaced
