"""OCR: ``POST /v1/ocr`` from transport (:mod:`.router`) through the pure normalizer
(:mod:`.normalize`) and the service (:mod:`.service`) to one adapter per upstream
(:mod:`.providers`) or the built-in engine (:mod:`.engine`), entities built by :mod:`.registry`."""
