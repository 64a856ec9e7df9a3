"""What a write reports: counts and per-item errors (the contract's IngestResult)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemError:
    """`index`: 0-based item position (mutations) or 1-based line number (bulk bodies, CSV files)."""

    index: int
    field: str | None
    message: str


@dataclass
class Outcome:
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    errors: list[ItemError] = field(default_factory=list)
    # errors beyond the reported ones (a body with 100,000 bad lines reports the first ones)
    unreported_errors: int = 0

    @property
    def stored_nothing(self) -> bool:
        return self.inserted == 0 and self.updated == 0

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "inserted": self.inserted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "errors": [{"index": e.index, "field": e.field, "message": e.message} for e in self.errors],
        }
        if self.unreported_errors:
            body["unreportedErrors"] = self.unreported_errors
        return body


class ErrorList:
    """Collects item errors, keeping the first `limit` in order and counting the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[ItemError] = []
        self.dropped = 0

    def add(self, error: ItemError) -> None:
        if len(self.items) < self.limit:
            self.items.append(error)
        else:
            self.dropped += 1

    def __len__(self) -> int:
        return len(self.items) + self.dropped
