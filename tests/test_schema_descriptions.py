"""The schema describes itself: every type, field, argument and enum value has a description."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from schema.root import schema

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(graphql_schema: GraphQLSchema) -> list[str]:
    missing = []
    for name, named in graphql_schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not (named.description or "").strip():
            missing.append(name)
        if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in named.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not (arg.description or "").strip():
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(named, GraphQLEnumType):
            missing += [f"{name}.{value}" for value, item in named.values.items() if not (item.description or "").strip()]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undescribed(schema._schema) == []


def test_the_walk_finds_what_lacks_a_description() -> None:
    from graphql import build_schema

    bare = build_schema('"q" type Query { "f" f(a: Int): E  g: Int } enum E { "x" X Y }')
    assert undescribed(bare) == ["Query.f(a)", "Query.g", "E", "E.Y"]
