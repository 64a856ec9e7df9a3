"""NDJSON and CSV bodies, parsed incrementally: bytes in, (line number, item or error) out.

Both formats use the GraphQL input field names (`eventId`, `ts`, ...). Lines are numbered
from 1; in CSV the header is line 1 and a record that spans lines (a quoted newline) has the
number of its first line. A CSV cell left empty is null. NDJSON numbers are parsed as exact
decimals. Bad UTF-8, bad JSON or a wrong number of cells is an error of that line only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ingest.kinds import Kind
from ingest.result import ItemError

MAX_LINE_BYTES = 1 << 20
Parsed = tuple[int, dict[str, Any] | ItemError]


class BadBody(Exception):
    """The body as a whole cannot be read (no or a wrong CSV header, an endless line)."""


class UnsupportedType(BadBody):
    pass


class LineSplitter:
    """Cuts a stream of byte chunks into lines (without their line ends)."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self.max_line = max_line
        self._rest = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._rest + chunk if self._rest else chunk
        lines = data.split(b"\n")
        self._rest = lines.pop()
        if len(self._rest) > self.max_line:
            raise BadBody(f"a line is longer than {self.max_line} bytes")
        return lines

    def finish(self) -> list[bytes]:
        rest, self._rest = self._rest, b""
        return [rest] if rest.strip() else []


class NdjsonReader:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.line = 0

    def feed(self, lines: list[bytes]) -> Iterator[Parsed]:
        for raw in lines:
            self.line += 1
            if not raw.strip():
                continue
            try:
                item = json.loads(raw, parse_float=Decimal)
            except UnicodeDecodeError:
                yield self.line, ItemError(self.line, None, "the line is not valid UTF-8")
                continue
            except (ValueError, RecursionError):
                yield self.line, ItemError(self.line, None, "the line is not valid JSON")
                continue
            if not isinstance(item, dict):
                yield self.line, ItemError(self.line, None, "each line must be one JSON object")
                continue
            yield self.line, item

    def finish(self) -> Iterator[Parsed]:
        return iter(())


class CsvReader:
    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.line = 0
        self.header: list[str] | None = None
        self._pending: list[str] = []  # lines of a record whose quotes are still open
        self._start = 0

    def feed(self, lines: list[bytes]) -> Iterator[Parsed]:
        for raw in lines:
            self.line += 1
            try:
                text = raw.decode("utf-8").removesuffix("\r")
            except UnicodeDecodeError:
                yield self.line, ItemError(self.line, None, "the line is not valid UTF-8")
                continue
            if self._pending:
                self._pending.append(text)
                if "\n".join(self._pending).count('"') % 2:
                    continue
                text, start, self._pending = "\n".join(self._pending), self._start, []
            elif text.count('"') % 2:
                self._pending, self._start = [text], self.line
                continue
            else:
                start = self.line
            if not text.strip():
                continue
            cells = text.split(",") if '"' not in text else next(csv.reader([text]))
            if self.header is None:
                self.header = self._check_header(cells)
                continue
            yield start, self._item(start, cells)

    def finish(self) -> Iterator[Parsed]:
        if self.header is None:
            raise BadBody("the CSV body has no header line")
        if self._pending:
            yield self._start, ItemError(self._start, None, "a quoted cell is never closed")

    def _check_header(self, cells: list[str]) -> list[str]:
        names = [cell.strip().lstrip("\ufeff") for cell in cells]
        unknown = [name for name in names if name not in self.kind.fields]
        if unknown:
            raise BadBody(f"unknown column {unknown[0]!r}; the columns of {self.kind.value} are "
                          f"{', '.join(self.kind.fields)}")
        missing = sorted(self.kind.required - set(names))
        if missing:
            raise BadBody(f"the header lacks the required column(s) {', '.join(missing)}")
        if len(set(names)) != len(names):
            raise BadBody("a column appears twice in the header")
        return names

    def _item(self, line: int, cells: list[str]) -> dict[str, Any] | ItemError:
        assert self.header is not None
        if len(cells) != len(self.header):
            return ItemError(line, None, f"expected {len(self.header)} cells, found {len(cells)}")
        return {name: cell for name, cell in zip(self.header, cells) if cell != ""}


READERS = {"application/x-ndjson": NdjsonReader, "application/jsonl": NdjsonReader, "text/csv": CsvReader}


def reader_for(content_type: str, kind: Kind) -> NdjsonReader | CsvReader:
    if content_type not in READERS:
        raise UnsupportedType(f"Content-Type must be application/x-ndjson or text/csv, not {content_type or 'missing'!r}")
    return READERS[content_type](kind)
