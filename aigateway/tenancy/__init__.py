"""Who calls and how much they may: API keys to tenants (:mod:`.auth`), the gate routers use
(:mod:`.gate`), limits as counters and leases (:mod:`.quotas` over :mod:`.state`) and usage
totals (:mod:`.usage`)."""
