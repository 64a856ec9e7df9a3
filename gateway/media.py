"""Which JSON media type a GraphQL response is sent as, from the request's Accept header.

GraphQL over HTTP defines two: `application/graphql-response+json` (status codes follow the
outcome: a response without `data` is 4xx) and the legacy `application/json`. The newer one is
used only when the client's Accept prefers it; anything else (no Accept, `*/*`, `application/*`,
types we do not produce) gets `application/json`, which every client understands.
"""

from __future__ import annotations

import functools

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@functools.lru_cache(maxsize=256)  # clients send the same few Accept headers
def negotiate(accept: str | None) -> str:
    """`application/graphql-response+json` when its quality is above 0 and not below JSON's.

    Equal qualities go to the newer type: clients list it to ask for it, and the spec
    recommends clients send both (`application/graphql-response+json, application/json`).
    """
    weights = dict(_ranges(accept or ""))
    ours = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    legacy = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return GRAPHQL_RESPONSE_JSON if ours > 0 and ours >= legacy else JSON


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0  # a malformed weight does not count as a preference
        ranges.append((media.lower(), quality))
    return ranges
