"""SQL for the UTC day and the period start of a timestamp, per dialect."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from core.vocabulary import Granularity

SQLITE = {
    Granularity.DAY: "date({ts})",
    # 'weekday 0' moves forward to Sunday; six days back is the ISO week's Monday
    Granularity.WEEK: "date({ts}, 'weekday 0', '-6 days')",
    Granularity.MONTH: "strftime('%Y-%m-01', {ts})",
    Granularity.QUARTER: (
        "printf('%s-%02d-01', strftime('%Y', {ts}), "
        "((CAST(strftime('%m', {ts}) AS INTEGER) - 1) / 3) * 3 + 1)"
    ),
    Granularity.YEAR: "strftime('%Y-01-01', {ts})",
}
MYSQL = {
    Granularity.DAY: "DATE({ts})",
    Granularity.WEEK: "DATE_SUB(DATE({ts}), INTERVAL WEEKDAY({ts}) DAY)",
    Granularity.MONTH: "DATE_FORMAT({ts}, '%%Y-%%m-01')",
    Granularity.QUARTER: "MAKEDATE(YEAR({ts}), 1) + INTERVAL (QUARTER({ts}) - 1) QUARTER",
    Granularity.YEAR: "DATE_FORMAT({ts}, '%%Y-01-01')",
}


class period_start(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """First day of the period holding `ts` (not clipped to any range)."""

    type = Date()
    # the granularity changes the SQL text, so statements must not share a cache entry
    inherit_cache = False

    def __init__(self, ts: ColumnElement[Any], granularity: Granularity) -> None:
        self.granularity = granularity
        super().__init__(ts)


@compiles(period_start)  # str(statement) in logs and debuggers
@compiles(period_start, "sqlite")
def _sqlite(element: period_start, compiler: Any, **kw: Any) -> str:
    return SQLITE[element.granularity].format(ts=compiler.process(element.clauses, **kw))


@compiles(period_start, "mysql")
@compiles(period_start, "mariadb")
def _mysql(element: period_start, compiler: Any, **kw: Any) -> str:
    return MYSQL[element.granularity].format(ts=compiler.process(element.clauses, **kw))


def as_date(value: object) -> date:
    """Drivers return a DATE as a date (MySQL) or as 'YYYY-MM-DD' text (SQLite)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
