"""The allow-list: a JSON manifest `{sha256 hex: document}` written by the CLI, read by the gateway.

A file rather than the shared cache because an allow-list is configuration: it is reviewed,
deployed with the gateway and must survive a Redis restart or eviction. The gateway rereads
the file when its modification time changes, checked only when a hash is not found.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

log = logging.getLogger("gateway.persisted")
HEX = frozenset("0123456789abcdef")


def digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def is_digest(text: object) -> bool:
    return isinstance(text, str) and len(text) == 64 and set(text) <= HEX


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's entries; a missing file is an empty list, a damaged one an error."""
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: expected a JSON object of sha256 -> document")
    for key, document in entries.items():
        if not isinstance(document, str) or digest(document) != key:
            raise ValueError(f"{path}: entry {key[:16]}… is not the sha256 of its document")
    return entries


def write_manifest(path: Path, entries: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".tmp")
    partial.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)  # a reading gateway never sees half a file


class Allowlist:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()
        self._entries = read_manifest(path)

    def get(self, key: str) -> str | None:
        found = self._entries.get(key)
        if found is None and self._changed():
            try:
                self._entries = read_manifest(self.path)
            except (OSError, ValueError) as error:  # keep serving the last good list
                log.error("allow-list %s not reloaded: %s", self.path, error)
            found = self._entries.get(key)
        return found

    def __len__(self) -> int:
        return len(self._entries)

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        # size too: file times can be coarser than two quick writes
        return stat.st_mtime_ns, stat.st_size

    def _changed(self) -> bool:
        stamp = self._stat()
        if stamp is None or stamp == self._stamp:
            return False  # unchanged, or being replaced: keep serving the last good list
        self._stamp = stamp
        return True
