"""Chat completions and embeddings: transport (:mod:`.router`), routing, fallbacks and usage
(:mod:`.service`), the SSE relay (:mod:`.sse`) and adapters (:mod:`.providers`), entities built by
:mod:`.registry`. Nothing here imports :mod:`aigateway.ocr`, nor the other way round."""
