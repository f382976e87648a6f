"""``/v1/models``: what a caller may use on a route (:mod:`.router`)."""
