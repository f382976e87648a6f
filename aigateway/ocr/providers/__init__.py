"""OCR adapters, one module per upstream; ``provider = "<name>"`` is module ``<name>``'s
``PROVIDER`` (:mod:`aigateway.ocr.registry`). Shared: :mod:`.base` (the contract),
:mod:`.options` (an entity's options table), :mod:`.payload` (bodies and fan-out)."""
