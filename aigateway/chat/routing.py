"""Which entities serve a public model name, in which order (load balancing, then fallbacks).

Routing of a public model name, in order:

1. an entity in refs lists the name in ``models`` or ``aliases`` (several such entities share
   the load: least in flight first, round-robin among equals);
2. ``entity-id/upstream-model`` with ``entity-id`` in refs;
3. otherwise 404 ``model_not_found`` on ``model``.

The chain is those entities, then their ``fallbacks`` (the tenant's allow-list applies).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import NotFoundError
from .providers.base import ChatProvider

__all__ = ("ModelRouting", "Target")


@dataclass(frozen=True)
class Target:
    """One entity and the upstream model name to send it."""

    entity: str
    model: str


class ModelRouting:
    """Resolves public model names to chains of :class:`Target` over one app's chat entities."""

    def __init__(self, providers: Mapping[str, ChatProvider]) -> None:
        self.providers = providers
        self.in_flight: Counter[str] = Counter()
        """Calls open per entity (the service counts them; balancing reads them)."""
        self._turn = itertools.count()

    def resolve(
        self, name: str, refs: list[str], allowed: frozenset[str] | None = None
    ) -> list[Target]:
        """The ordered chain of targets for public model ``name`` (404 if none)."""
        primary = [
            Target(eid, up)
            for eid in refs
            if eid in self.providers
            and (up := self.providers[eid].upstream_model(name)) is not None
        ]
        if not primary:
            prefix, slash, rest = name.partition("/")
            if slash and rest and prefix in refs and prefix in self.providers:
                primary = [Target(prefix, rest)]
        if not primary:
            raise NotFoundError(
                f"the model {name!r} does not exist or is not available to this API key",
                param="model",
                code="model_not_found",
            )
        chain = self._balance(primary)
        seen = {t.entity for t in chain}
        for target in list(chain):
            for fb in self.providers[target.entity].entity.fallbacks:
                if fb in seen or fb not in self.providers:
                    continue
                if allowed is not None and fb not in allowed:
                    continue
                seen.add(fb)
                # The fallback's own alias for the public name wins; else the same upstream name.
                chain.append(Target(fb, self.providers[fb].upstream_model(name) or target.model))
        return chain

    def _balance(self, targets: list[Target]) -> list[Target]:
        if len(targets) == 1:
            return targets
        turn = next(self._turn) % len(targets)
        rotated = targets[turn:] + targets[:turn]
        # Stable sort: among equally busy entities the rotation decides (round-robin).
        return sorted(rotated, key=lambda t: self.in_flight[t.entity])
