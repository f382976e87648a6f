"""Chat/embeddings upstream adapters; the registry maps ``provider = "…"`` to a class here."""
