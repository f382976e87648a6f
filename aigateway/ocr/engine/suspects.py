"""Words that look like a letter and a digit read for each other, or a comma read as a full
stop (:mod:`.lookalikes`), read again on their own by the recogniser (part of
:func:`.reread.reread`): a one-word crop each, and only a swap back is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from . import lookalikes
from .crops import recognize
from .geometry import Line, Word

__all__ = ("UNREAD", "read")

UNREAD = 60
"""Doubtful look-alike suspects (``basel6``) past the page's budget read on their own at
most (each a word's crop, about 9 ms): on onnxruntime, whose budget is a quarter of
OpenVINO's, a scanned listing's 40 ``base16`` read 19 ``basel6`` without them, none with."""


def read(
    img: Image.Image,
    lines: list[Line],
    below: float,
    threads: int,
    languages: Sequence[str],
    reached: set[int],
) -> int:
    """Read again, each on its own, the surer words that look like a letter and a digit
    read for each other, or a comma read as a full stop (:mod:`.lookalikes`); keep a reading
    that only swaps them back. Doubtful such words the budget left unread (``reached``: the ids
    of the words the doubtful stretches' crops held) are read so too, up to
    :data:`UNREAD`, least sure first."""
    # The word after each (on the next line after a line's last): a lowercase one makes a
    # full stop a comma suspect.
    words = [(ln, i) for ln in lines for i in range(len(ln.words))]
    after = [ln.words[i].text for ln, i in words[1:]] + [""] * bool(words)  # none on a blank
    suspects = [
        (ln, i)
        for (ln, i), nxt in zip(words, after, strict=True)
        if ln.words[i].conf < lookalikes.cut(ln.words[i].text, nxt)
        and id(ln.words[i]) not in reached
    ]
    unread = sorted(
        (job for job in suspects if job[0].words[job[1]].conf < below),
        key=lambda job: job[0].words[job[1]].conf,
    )[:UNREAD]
    jobs = [job for job in suspects if job[0].words[job[1]].conf >= below or job in unread]
    boxes = [(w.x0, w.y0, w.x1, w.y1) for w in (ln.words[i] for ln, i in jobs)]
    swapped = 0
    # At each word's own width: only a swap is kept, which a narrow reading makes as well.
    texts = recognize(img, boxes, threads, languages, narrow=True)  # empty if it cannot run
    for (ln, i), (text, score) in zip(jobs, texts, strict=False):
        w = ln.words[i]
        if lookalikes.kept(w.text, text, score):
            ln.words[i] = Word(text, 100 * score, w.x0, w.y0, w.x1, w.y1)
            swapped += 1
    return swapped
