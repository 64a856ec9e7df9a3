"""The committed SDL is current, and it keeps every name of the contract."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema

from schema.export import sdl

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"
# Contract names of issues not yet landed, by issue; each leaves this list when its issue lands.
PENDING: set[str] = set()
PENDING_TYPES: set[str] = set()


def test_committed_sdl_is_current() -> None:
    assert (ROOT / "schema" / "schema.graphql").read_text() == sdl(), "run `make schema`"


def _fields(schema_text: str) -> dict[str, dict[str, object]]:
    schema = build_schema(schema_text)
    out = {}
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        fields = getattr(named, "fields", None) or getattr(named, "values", None) or {}
        out[name] = dict(fields)
    return out


def test_contract_names_are_all_present() -> None:
    if not CONTRACT.exists():  # the contract lives beside the repo in shared/
        raise AssertionError(f"contract not found at {CONTRACT}")
    ours = _fields(sdl())
    missing = []
    for type_name, fields in _fields(CONTRACT.read_text()).items():
        if type_name in PENDING_TYPES:
            continue
        if type_name not in ours:
            missing.append(type_name)
            continue
        missing += [f"{type_name}.{f}" for f in fields if f not in ours[type_name] and f"{type_name}.{f}" not in PENDING]
    assert missing == []


def test_argument_types_match_the_contract() -> None:
    contract = build_schema(CONTRACT.read_text())
    ours = build_schema(sdl())
    for type_name in ("Query", "Tenant", "Charts", "Mutation"):
        for field_name, field in contract.type_map[type_name].fields.items():
            if f"{type_name}.{field_name}" in PENDING:
                continue
            mine = ours.type_map[type_name].fields[field_name]
            assert str(mine.type) == str(field.type), (type_name, field_name)
            for arg_name, arg in field.args.items():
                assert str(mine.args[arg_name].type) == str(arg.type), (type_name, field_name, arg_name)
