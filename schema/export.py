"""The SDL clients see, as committed in schema/schema.graphql."""

from __future__ import annotations

from schema.root import schema


def sdl() -> str:
    return schema.as_str() + "\n"
