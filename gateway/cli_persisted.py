"""`analytics-gateway persisted-queries add|list`: the allow-list manifest (APQ_ALLOWLIST_FILE)."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphql import GraphQLError, parse, validate

from gateway.settings import Settings
from persisted.allowlist import digest, read_manifest, write_manifest


def register(commands: argparse._SubParsersAction) -> None:
    persisted = commands.add_parser(
        "persisted-queries", help="register documents in the allow-list manifest (APQ_ALLOWLIST_FILE)"
    )
    actions = persisted.add_subparsers(dest="persisted_command", required=True)
    add = actions.add_parser("add", help="validate each file against the schema and register it; prints its sha256")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE.graphql")
    actions.add_parser("list", help="list registered documents: sha256 and first line")


def run(settings: Settings, args: argparse.Namespace) -> int:
    path = settings.apq_allowlist_file
    entries = read_manifest(path)
    if args.persisted_command == "list":
        for key, document in entries.items():
            print(f"{key}  {document.strip().splitlines()[0][:60] if document.strip() else ''}")
        print(f"{len(entries)} document(s) in {path}")
        return 0
    added = {}
    for file in args.files:
        # the exact text is hashed: clients must send the file's content byte for byte
        document = file.read_text(encoding="utf-8")
        problems = _problems(document)
        if problems:
            raise ValueError(f"{file}: not registered: {problems}")
        added[digest(document)] = document
        print(f"{digest(document)}  {file}")
    write_manifest(path, {**entries, **added})
    print(f"{len(added)} document(s) registered in {path}")
    return 0


def _problems(document: str) -> str:
    from schema.root import schema

    try:
        errors = validate(schema._schema, parse(document))
    except GraphQLError as error:
        errors = [error]
    return "; ".join(error.message for error in errors)
