"""The re-reading recogniser's session with every batch padded to a width bucket.

OpenVINO prepares each new input shape on first use; padding crops to a few widths keeps the
shapes few (see :class:`Bucketed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ("Bucketed",)


class Bucketed:
    """The recogniser's session with each batch padded to a width in steps of :attr:`STEP` px.

    A batch is as wide as its widest crop, so nearly every batch has a shape of its own, and
    OpenVINO prepares each new input shape on first use: 35 % of the inference time on crops
    of varying widths, none once shapes repeat. Padding is what the batch already does to its
    narrower crops (zeros after normalisation), and the padded columns' time steps are cut off
    the output, so the texts are the recogniser's as it was.

    A worker prepares each width when a page first needs it, about 15 ms of CPU (29 widths:
    0.43 s over its life). Preparing them all when the recogniser is loaded runs a blank crop
    of each width through it, 1.9 s of CPU (1.5 s of it the inferences themselves): the load
    took 3.0 s instead of 1.1 s. Only the bench does that (:func:`prepare_widths`), to time
    pages as a worker that has been serving for a while reads them.
    """

    STEP = 64

    NARROWEST = 128
    """The narrowest batch of a ``narrow`` reading (:func:`recognize_crops`): a word's crop is
    padded to this, not to 320 px. At its own width a lone glyph lost its context (a
    ``⇒`` read ``=>``, a ``,`` read ``1``); at 128 px it reads as at 320."""

    PREPARED = 1920
    """Widths up to this are prepared by :meth:`prepare`."""

    def __init__(self, session: Any, width: int = 320) -> None:
        self._session = session
        self.width = width
        """The recogniser's own input width (320 px): the narrowest batch it was trained on."""

    def prepare(self, shape: Sequence[int]) -> None:
        """Run one blank crop of each width from the narrowest batch (``shape``: channels,
        height, width) to :attr:`PREPARED` through the session, so that OpenVINO has
        prepared those shapes before any page needs them: 15-24 ms of CPU a shape on first
        use, 29 shapes from 128 px. 840 crops of 54 tune pages came in 25 of the widths from
        320 (none wider)."""
        import numpy as np

        channels, height, narrowest = shape[:3]
        start = -(-narrowest // self.STEP) * self.STEP
        for width in range(start, self.PREPARED + 1, self.STEP):
            self._session(np.zeros((1, channels, height, width), dtype=np.float32))

    def __call__(self, batch: Any) -> Any:
        import numpy as np

        width = batch.shape[-1]
        padded = -(-width // self.STEP) * self.STEP
        if padded == width:
            return self._session(batch)
        wide = np.zeros((*batch.shape[:-1], padded), dtype=batch.dtype)
        wide[..., :width] = batch
        out = self._session(wide)
        return out[:, : -(-out.shape[1] * width // padded)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)
