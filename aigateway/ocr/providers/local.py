"""The built-in offline OCR engine: PDF text layers when sane, Tesseract (or RapidOCR) otherwise.

Options (``[[ocr_models]] options = {...}`` for ``provider = "local"``):

==========================  ===============  ==================================================
key                         default          meaning
==========================  ===============  ==================================================
``languages``               ``["eng"]``      Tesseract languages (traineddata must be installed)
``dpi``                     ``300``          render resolution for OCR'd PDF pages (72-600)
``engine``                  ``"auto"``       Tesseract + layout pass, RapidOCR for pages Tesseract
                                             cannot read (if installed); or ``"tesseract"``,
                                             ``"rapidocr"`` (``pip install aigateway[rapidocr]``)
``layout``                  ``true``         layout pass on OCR'd pages (tables as grids)
``detect_orientation``      ``true``         turn 90/180/270-degree pages upright (Tesseract OSD)
``deskew``                  ``true``         level pages skewed by 0.4-6 degrees before reading;
                                             cut a photographed sheet from the table around
                                             it and warp it flat
``sharpen``                 ``true``         Tesseract reads a sharpened copy of pages with soft
                                             glyph edges (scans, JPEG, low DPI), a softened
                                             one of black-and-white pages (faxes)
``rescale``                 ``"auto"``       resize pages towards 26 px text lines before
                                             Tesseract reads them: ``"auto"`` enlarges small
                                             text and shrinks large text with crisp glyphs,
                                             ``"enlarge"`` small text only, ``"both"`` shrinks
                                             any large text (worse on degraded scans), ``"off"``
``orientation_confidence``  ``3.0``          minimum OSD confidence to act on
``reread_below``            ``80``           ``auto`` with RapidOCR installed: Tesseract words under
                                             this confidence (0-100) are read again by RapidOCR's
                                             recogniser; ``0`` turns it off (``auto``
                                             still reads number columns and
                                             dropped lines with it)
``trust_invisible_text``    ``true``         use an earlier OCR's invisible text layer if sane
==========================  ===============  ==================================================

All page work runs in the registry's :class:`~aigateway.ocr.engine.pool.OcrPool`: first a probe
(page count, image header checks) and then one task per selected page, so the pages of a
document spread over the workers.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar

from ... import cpus
from ...config import OcrModelConfig
from ...errors import ConfigError, UnsupportedMediaTypeError
from ..engine import page as _page
from ..engine import tesseract as _tesseract
from ..engine.options import ENGINES, EngineOptions, PageRequest, PageResult, Source
from ..pdf import extra_image_types, select_pages
from ..protocol import Document, OcrResult
from .base import OFFICE, PDF_AND_IMAGES, OcrJob, OcrProvider, ProviderContext
from .local_pages import to_pages

__all__ = ("PROVIDER", "LocalOcrProvider")

INLINE_MAX = 65_536
"""Documents up to this size travel to workers inside each page task; larger ones as a file
path the workers open. Every page task carries its document, and the event loop writes the
task: so only tiny documents go inline (the pool's transport is correct for any size)."""

REREAD_BELOW = 80.0
"""Default ``reread_below``: the Tesseract word confidence under which ``auto`` asks RapidOCR."""

_LANG = re.compile(r"^[A-Za-z0-9_]+$")
RESCALE = ("auto", "enlarge", "both", "off")
"""``rescale`` values (:mod:`aigateway.ocr.engine.textsize`)."""

_KNOWN = frozenset(
    {
        "languages",
        "dpi",
        "engine",
        "detect_orientation",
        "orientation_confidence",
        "trust_invisible_text",
        "layout",
        "deskew",
        "sharpen",
        "rescale",
        "reread_below",
    }
)


class LocalOcrProvider(OcrProvider):
    """OCR in local worker processes; no network, no API key."""

    accepted_types: ClassVar[frozenset[str]] = PDF_AND_IMAGES | extra_image_types() | OFFICE
    default_model: ClassVar[str] = "local-tesseract"

    def __init__(self, entity: OcrModelConfig, ctx: ProviderContext) -> None:
        super().__init__(entity, ctx)
        self._where = self._key_path(entity, ctx)
        self.options = self._parse_options(entity.options)
        self._threads_set = False

    # --- configuration --------------------------------------------------------------------------

    @staticmethod
    def _key_path(entity: OcrModelConfig, ctx: ProviderContext) -> str:
        settings = getattr(ctx, "settings", None)
        models = getattr(settings, "ocr_models", [])
        source = getattr(settings, "source", "<memory>")
        for i, m in enumerate(models):
            if m.id == entity.id:
                return f"{source}: $.ocr_models[{i}].options"
        return f"{source}: ocr_models.{entity.id}.options"

    def _error(self, key: str, expected: str, got: Any) -> ConfigError:
        return ConfigError(f"{self._where}.{key}: expected {expected}, got {got!r}")

    def _parse_options(self, raw: dict[str, Any]) -> EngineOptions:
        unknown = sorted(set(raw) - _KNOWN)
        if unknown:
            raise ConfigError(
                f"{self._where}.{unknown[0]}: unknown option for the local engine "
                f"(known: {', '.join(sorted(_KNOWN))})"
            )
        langs = raw.get("languages", ["eng"])
        if (
            not isinstance(langs, list)
            or not langs
            or not all(isinstance(x, str) and _LANG.match(x) for x in langs)
        ):
            raise self._error("languages", 'a non-empty list of language codes like ["eng"]', langs)
        try:
            _tesseract.find_tessdata(langs)
        except LookupError as exc:
            raise ConfigError(
                f"{self._where}.languages: {exc} (install e.g. the tesseract-ocr-<lang> Debian "
                "package or a tessdata.* pip package)"
            ) from None
        dpi = raw.get("dpi", 300)
        if not isinstance(dpi, int) or isinstance(dpi, bool) or not 72 <= dpi <= 600:
            raise self._error("dpi", "an integer from 72 to 600", dpi)
        engine = raw.get("engine", "auto")
        if engine not in ENGINES:
            raise self._error("engine", " or ".join(f'"{e}"' for e in ENGINES), engine)
        if engine == "rapidocr":
            from ..engine import rapid

            why = rapid.available()
            if why is not None:
                raise ConfigError(f"{self._where}.engine: {why}")
        flags = {}
        for key in ("detect_orientation", "trust_invisible_text", "layout", "deskew", "sharpen"):
            value = raw.get(key, True)
            if not isinstance(value, bool):
                raise self._error(key, "true or false", value)
            flags[key] = value
        rescale = raw.get("rescale", "auto")
        if rescale not in RESCALE:
            raise self._error("rescale", " or ".join(f'"{r}"' for r in RESCALE), rescale)
        conf = raw.get("orientation_confidence", 3.0)
        if not isinstance(conf, int | float) or isinstance(conf, bool) or conf < 0:
            raise self._error("orientation_confidence", "a number >= 0", conf)
        below = raw.get("reread_below", REREAD_BELOW)
        if not isinstance(below, int | float) or isinstance(below, bool) or not 0 <= below <= 100:
            raise self._error("reread_below", "a number from 0 to 100", below)
        limits = self.ctx.settings.limits
        return EngineOptions(
            engine=engine,
            languages=tuple(langs),
            dpi=dpi,
            detect_orientation=flags["detect_orientation"],
            osd_min_confidence=float(conf),
            trust_invisible_text=flags["trust_invisible_text"],
            layout=flags["layout"],
            deskew=flags["deskew"],
            sharpen=flags["sharpen"],
            rescale=rescale,
            reread_below=float(below),
            max_pixels=limits.max_pixels_per_page,
        )

    def upstream_model(self, requested: str | None) -> str:
        """What answers: the entity's ``model`` label, else ``local-<engine>``.

        A request's ``model`` cannot change the local engine, so it is not echoed back: a
        response saying ``"model": "gpt-4o"`` would claim a model that never saw the page.
        """
        return self.entity.model or f"local-{self.options.engine}"

    # --- lifecycle ------------------------------------------------------------------------------

    def _pool(self) -> Any:
        pool = self.ctx.ocr_pool()
        if not self._threads_set:
            # onnxruntime would start one thread per core in every worker: share the cores.
            threads = max(1, cpus.usable() // max(1, pool.size))
            self.options = EngineOptions(**{**self.options.__dict__, "threads": threads})
            self._threads_set = True
        return pool

    async def start(self) -> None:
        """Start the pool's workers in the background, preloading this entity's models."""
        pool = self._pool()
        opts = self.options
        from ..engine import rapid

        if opts.engine == "rapidocr":
            pool.add_warmup(rapid.warm, opts.threads)
        pool.add_warmup(_tesseract.warm, opts.languages, opts.detect_orientation)
        if opts.engine == "auto" and pool.config.warm and rapid.available() is None:
            # The recogniser that re-reads doubtful words (most pages; about 1.1 s of CPU to
            # load) is loaded once the worker has said ready: a worker restarted in a storm is
            # ready as soon as Tesseract is, and no page waits for the load with its timeout
            # running (the pool holds pages back from a warming worker).
            pool.add_warmup(rapid.warm_recogniser, opts.threads, tuple(opts.languages), idle=True)
        await pool.start()

    # --- OCR ------------------------------------------------------------------------------------

    async def _source(self, doc: Document, password: str | None) -> Source:
        blob = doc.blob
        if blob.in_memory and blob.size <= INLINE_MAX:
            return Source(doc.media_type, data=blob.read(), password=password)
        # Spooling an in-memory blob to disk (or decoding base64) is blocking work: off the
        # loop. The blob owns the file and deletes it when the request is done.
        path = blob.path() if not blob.in_memory else await asyncio.to_thread(blob.path)
        return Source(doc.media_type, path=path, password=password)

    async def process(self, job: OcrJob) -> OcrResult:
        """Read every selected page; indexes in the result are the document's own."""
        doc = job.document
        if doc is None or doc.media_type not in self.accepted_types:
            raise UnsupportedMediaTypeError(
                f"the local engine reads {', '.join(sorted(self.accepted_types))}; got "
                f"{doc.media_type if doc else 'a URL it cannot fetch'}",
                param="document",
            )
        pool = self._pool()
        limits = self.ctx.settings.limits
        src = await self._source(doc, job.options.pdf_password)
        total = await pool.run(_page.probe, src, limits.max_pixels_per_page)
        indexes = select_pages(total, job.options.pages, limits.max_pages)
        force = bool(job.options.force_ocr)
        o = job.options
        req = PageRequest(
            table_format=o.table_format,
            include_images=bool(o.include_image_base64),
            image_limit=o.image_limit,
            image_min_size=o.image_min_size,
            extract_header=bool(o.extract_header),
            extract_footer=bool(o.extract_footer),
        )
        results: list[PageResult] = await pool.run_batch(
            [(_page.read_page, (src, i, self.options, force, req)) for i in indexes]
        )
        pages = to_pages(indexes, results, req)
        tracer = self.ctx.tracer
        if tracer is not None:
            for i, r in zip(indexes, results, strict=True):
                attributes: dict[str, str | int] = {"aigateway.ocr.page.method": r.method}
                if r.method == "ocr":
                    attributes["aigateway.ocr.page.dpi"] = r.dpi
                    attributes["aigateway.ocr.page.rotation"] = r.rotation
                    if r.engine:
                        attributes["aigateway.ocr.page.engine"] = r.engine
                if r.reason:
                    attributes["aigateway.ocr.page.ocr_reason"] = r.reason
                tracer.page(
                    index=i, started_ns=r.started_ns, ended_ns=r.ended_ns, attributes=attributes
                )
        return OcrResult(model=self.upstream_model(job.model), pages=pages, doc_size_bytes=doc.size)


PROVIDER = LocalOcrProvider
"""The adapter ``provider = "local"`` names (found by the OCR registry by convention)."""
