"""Large bodies and files: parse and validate everything while streaming, then write.

All-or-nothing for a whole body needs every line validated before the first write, but a
body of millions of rows must not sit in memory: validated rows are spooled to a temporary
file in chunks and read back for the write, which is one transaction for the whole body
(the answer is one IngestResult for the body). Memory stays at about one chunk.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator
from typing import IO, Any

from ingest.formats import CsvReader, LineSplitter, NdjsonReader
from ingest.kinds import Kind
from ingest.result import ErrorList, Outcome
from ingest.service import Ingestor, Item

Reader = NdjsonReader | CsvReader


class Spool:
    """Validated rows, chunk by chunk: in memory while there is one chunk, then on disk.

    On disk a chunk is its rows' values as tuples (the keys, the same for every row of a
    kind, are written once per chunk): about half the bytes and time of pickled dicts.
    """

    def __init__(self, chunk_rows: int) -> None:
        self.chunk_rows = chunk_rows
        self.rows = 0
        self._buffer: list[Item] = []
        self._file: IO[bytes] | None = None

    def add(self, item: Item) -> None:
        self._buffer.append(item)
        self.rows += 1
        if len(self._buffer) >= self.chunk_rows:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="gateway-ingest-")
            keys = tuple(self._buffer[0][1])
            packed = (keys, [(index, tuple(row.values())) for index, row in self._buffer])
            pickle.dump(packed, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._buffer = []

    def chunks(self) -> Iterator[list[Item]]:
        """Every chunk in order; may be called again (a retried transaction)."""
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    keys, packed = pickle.load(self._file)
                except EOFError:
                    break
                yield [(index, dict(zip(keys, values))) for index, values in packed]
            self._file.seek(0, 2)
        if self._buffer:
            yield self._buffer

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Validated:
    """One body or file: parsed, validated and spooled; errors carry line numbers."""

    def __init__(self, ingestor: Ingestor, kind: Kind, reader: Reader) -> None:
        self.ingestor = ingestor
        self.kind = kind
        self.reader = reader
        self.splitter = LineSplitter()
        self.errors = ErrorList(ingestor.policy.max_errors)
        self.spool = Spool(ingestor.policy.chunk_rows)
        self._checks: Any = None

    async def prepare(self, tenant_id: str | None) -> None:
        self._checks = await self.ingestor.checks(self.kind, tenant_id)

    def feed(self, chunk: bytes) -> None:
        self._take(self.reader.feed(self.splitter.feed(chunk)))

    def finish(self) -> None:
        self._take(self.reader.feed(self.splitter.finish()))
        self._take(self.reader.finish())

    def _take(self, parsed: Iterable[tuple[int, Any]]) -> None:
        valid = self.ingestor.validate(self.kind, self._split(parsed), self._checks, self.errors)
        for item in valid:
            self.spool.add(item)

    def _split(self, parsed: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        for line, item in parsed:
            if isinstance(item, dict):
                yield line, item
            else:
                self.errors.add(item)


async def ingest_stream(
    ingestor: Ingestor, kind: Kind, tenant_id: str | None, reader: Reader, body: AsyncIterable[bytes],
    partial: bool, before_write: Callable[[int], Awaitable[None]] | None = None,
) -> Outcome:
    """Validates the whole body, then (unless it is refused) writes it in one transaction.

    `before_write(rows)` runs between the two (the write budget is charged there).
    """
    batch = Validated(ingestor, kind, reader)
    with batch.spool:
        await batch.prepare(tenant_id)
        async for chunk in body:
            batch.feed(chunk)
        batch.finish()
        if batch.errors and not partial:
            return Outcome(errors=batch.errors.items, unreported_errors=batch.errors.dropped)
        if before_write is not None and batch.spool.rows:
            await before_write(batch.spool.rows)
        return await ingestor.write(kind, tenant_id, batch.spool.chunks, batch.errors, partial)
