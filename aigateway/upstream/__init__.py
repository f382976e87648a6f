"""Talking to upstreams: the one owner of HTTP clients (:mod:`.clients`), their transports
(:mod:`.transport`), error mapping and capped reads (:mod:`.errors`, :mod:`.body`), the one retry
policy (:mod:`.retry`) and the safe document fetcher (:mod:`.fetch`)."""
