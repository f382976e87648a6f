"""RapidOCR's runtime for re-reading: OpenVINO where it is installed (in bfloat16 where the CPU
has it), its batches padded to shapes that repeat."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from aigateway.ocr.engine import charset, rapid
from aigateway.ocr.engine.buckets import Bucketed

from ..support.docgen import render_text

LINE = "Invoice 4471 paid in full on 12 March by the northern warehouse"

pytestmark = pytest.mark.skipif(rapid.available() is not None, reason=str(rapid.available()))


class _Session:
    """A recogniser session that answers 8 px of input width per time step, as PP-OCR's does,
    each step's class the column's value (so padding shows up as class 0, the CTC blank)."""

    def __init__(self) -> None:
        self.widths: list[int] = []

    def __call__(self, batch: Any) -> Any:
        self.widths.append(batch.shape[-1])
        steps = batch.shape[-1] // 8
        out = np.zeros((batch.shape[0], steps, 4), dtype=np.float32)
        for t in range(steps):
            out[:, t, int(batch[0, 0, 0, 8 * t])] = 1.0
        return out

    def have_key(self) -> bool:
        return True


@pytest.mark.parametrize("width", [320, 328, 384, 1000])
def test_a_batch_is_padded_to_a_step_and_the_padding_cut_off(width: int) -> None:
    inner = _Session()
    bucketed = Bucketed(inner)
    batch = np.full((2, 3, 48, width), 3.0, dtype=np.float32)
    out = bucketed(batch)
    assert inner.widths[0] % Bucketed.STEP == 0 and inner.widths[0] >= width
    assert inner.widths[0] - width < Bucketed.STEP
    # The output is as long as the unpadded batch's, and none of it comes from the padding.
    assert out.shape[1] == -(-width // 8)
    assert (out.argmax(axis=2) == 3).all()
    assert bucketed.have_key()  # everything else is the session's own


def test_the_runtime_is_openvino_where_installed_in_bfloat16_where_the_cpu_has_it() -> None:
    try:
        import openvino
    except ImportError:
        assert rapid.runtime() == "onnxruntime" and not rapid.bfloat16()
    else:
        hint = openvino.Core().get_property("CPU", "INFERENCE_PRECISION_HINT")
        bf16 = hint == openvino.Type.bf16
        assert rapid.runtime() == "openvino"
        assert rapid.bfloat16() == bf16
        assert bf16 == ("bf16" in hint.get_type_name()), hint
    models = rapid._models()
    assert set(models) == {"det", "rec"}
    assert all(path.endswith(".onnx") for path in models.values())


def test_the_crop_recogniser_reads_only_the_page_script_on_openvino() -> None:
    """The output layer cut to Latin: a crop answers no character outside it."""
    if rapid.runtime() != "openvino":
        pytest.skip("the cut is made with OpenVINO's graph API")
    rec = rapid._engine(1, crops=True, chars=charset.charset(["eng"]))._load_rec_model()
    chars = rec.postprocess_op.character
    assert 1000 < len(chars) < 5000
    assert all(charset.latin(c) for c in chars if c not in ("blank", " "))
    crop = render_text(LINE, size=32)
    assert rapid.recognize_crops([crop.crop(_ink(crop))])[0][0].split() == LINE.split()


def test_crops_of_every_width_read_the_same_padded_or_not() -> None:
    words = LINE.split()
    crops = [render_text(" ".join(words[:n]), size=32) for n in range(1, len(words) + 1)]
    crops = [c.crop(_ink(c)) for c in crops]
    rec = rapid._engine(1, crops=True, chars=charset.charset(["eng"]))._load_rec_model()
    session = rec.session
    inner = session._session if isinstance(session, Bucketed) else session
    try:
        rec.session = inner
        unpadded = rapid.recognize_crops(crops)
        rec.session = Bucketed(inner)
        padded = rapid.recognize_crops(crops)
    finally:
        rec.session = session
    assert [t for t, _ in padded] == [t for t, _ in unpadded]
    assert padded[-1][0].split() == words


def _ink(img: Any) -> tuple[int, int, int, int]:
    """The box around the dark pixels, with a margin."""
    from PIL import ImageOps

    box = ImageOps.invert(img).getbbox()
    assert box is not None
    x0, y0, x1, y1 = box
    return max(0, x0 - 8), max(0, y0 - 8), min(img.width, x1 + 8), min(img.height, y1 + 8)


def test_the_crop_widths_are_prepared_from_the_narrowest_batch_up() -> None:
    inner = _Session()
    Bucketed(inner).prepare((3, 48, 320))
    step = Bucketed.STEP
    assert inner.widths == list(range(320, Bucketed.PREPARED + 1, step))
    inner.widths.clear()
    Bucketed(inner).prepare((3, 48, 100))  # a narrowest width off the steps: rounded up
    assert inner.widths[0] == 128 and all(w % step == 0 for w in inner.widths)


def test_a_narrow_crop_is_read_at_its_own_width_only_when_asked() -> None:
    """A word's crop is padded to the recogniser's 320 px, unless ``narrow``: then to the next
    step of its own width (OpenVINO's session)."""
    if rapid.runtime() != "openvino":
        pytest.skip("narrow crops are read on OpenVINO's bucketed session")
    word = render_text("Invoice", size=32)
    word = word.crop(_ink(word))
    rec = rapid._engine(1, crops=True, chars=charset.charset(["eng"]))._load_rec_model()
    session = rec.session
    assert isinstance(session, Bucketed) and session.width == 320
    widths: list[int] = []

    def spy(batch: Any) -> Any:
        widths.append(batch.shape[-1])
        return inner(batch)

    inner = session._session
    session._session = spy
    try:
        wide = rapid.recognize_crops([word])
        narrow = rapid.recognize_crops([word], narrow=True)
    finally:
        session._session = inner
    own = word.width * 48 / word.height
    assert widths[0] == 320 and widths[1] < 320
    assert own <= widths[1] < own + Bucketed.STEP + 1
    assert wide[0][0] == narrow[0][0] == "Invoice"
