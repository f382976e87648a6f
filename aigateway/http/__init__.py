"""HTTP plumbing every router shares: request bodies (:mod:`.bodies`), size caps
(:mod:`.limits`), request ids and the access log (:mod:`.middleware`), metrics (:mod:`.metrics`)
and resolved routes (:mod:`.routes`)."""
