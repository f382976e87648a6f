"""Operations endpoints: health, readiness, metrics and usage (:mod:`.router`)."""
