"""Leptonica's messages go to a logger, not to the worker's stderr (``tesseract.quiet_leptonica``).

Tesseract calls leptonica with boxes leptonica finds fault with, and carries on: before, each
such call wrote an unformatted ``Error in boxClipToRectangle`` line to the server's stderr.
"""

from __future__ import annotations

import ctypes
import logging

import pytest

from aigateway.ocr.engine import tesseract


def test_a_leptonica_error_is_logged_at_debug_level_and_stderr_stays_clean(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    tesseract.warm(["eng"], orientation=False)  # a Tesseract API: leptonica is loaded, handled
    assert tesseract.quiet_leptonica() is not None
    path = tesseract._mapped(("libleptonica", "liblept"))
    assert path is not None
    lib = ctypes.CDLL(path)
    lib.boxClipToRectangle.restype = ctypes.c_void_p
    capfd.readouterr()
    with caplog.at_level(logging.DEBUG, logger="aigateway.ocr.engine.leptonica"):
        assert lib.boxClipToRectangle(None, 10, 10) is None  # leptonica's "box not defined"
    assert capfd.readouterr().err == ""
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("leptonica")]
    assert logged == ["Error in boxClipToRectangle: box not defined"]
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name.endswith("leptonica"))
