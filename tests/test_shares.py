"""Breakdown shares are the same in every process: a total of floats must not depend on the
order a set (seeded per process) hands the groups over in."""

from __future__ import annotations

from resolvers.breakdown import ranked


def test_shares_do_not_depend_on_the_order_of_the_groups() -> None:
    values = {"a": 0.1, "b": 0.2, "c": 0.3}  # (0.1 + 0.2) + 0.3 != 0.3 + (0.2 + 0.1) in floats
    forward, backward = ranked(values), ranked(dict(reversed(values.items())))
    assert forward == backward
    assert [row.key for row in forward] == ["c", "b", "a"]
    assert forward[0].share == 0.3 / 0.6
