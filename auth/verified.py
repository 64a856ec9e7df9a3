"""Verified JWTs remembered briefly, so a dashboard's repeated requests skip the signature check.

Only successes are kept, for at most `ttl` seconds and never past the token's expiry; the table
is bounded (least recently used first out). A token is looked up by its SHA-256, not kept itself.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from auth.principal import Principal


class VerifiedTokens:
    def __init__(self, ttl: float = 30.0, maxsize: int = 4096) -> None:
        self.ttl, self.maxsize = ttl, maxsize
        self._known: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    def verify(self, token: str, verify: Callable[[str], Principal]) -> Principal:
        if self.ttl <= 0:
            return verify(token)
        digest = hashlib.sha256(token.encode()).digest()
        now = time.time()
        known = self._known.get(digest)
        if known is not None and known[0] > now:
            self._known.move_to_end(digest)
            return known[1]
        principal = verify(token)  # raises Unauthenticated: nothing kept
        until = now + self.ttl
        if principal.expires_at is not None:
            until = min(until, principal.expires_at.timestamp())
        self._known[digest] = (until, principal)
        self._known.move_to_end(digest)
        while len(self._known) > self.maxsize:
            self._known.popitem(last=False)
        return principal
