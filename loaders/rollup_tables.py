"""Exact rollups of the fact tables, per tenant and UTC day, kept in the same store.

Every rollup row is derived from whole UTC days of raw rows (loaders/rollup_refresh.py), and
API ranges are whole UTC days, so a range is answered from rollup rows alone and exactly:
sums are additive, and distinct counts are taken over deduplicated members (visitor and
session ids), never estimated.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, LargeBinary, String, Table, UniqueConstraint

from loaders.tables import MYSQL_OPTS, Char2, Char3, Id, metadata


def packs_table(name: str, period: str) -> Table:
    """A rollup's packs: per tenant and period (its first day), records in BLOB-sized parts."""
    return Table(
        name,
        metadata,
        Column("tenant_id", String(64), primary_key=True),
        Column(period, Date, primary_key=True),
        Column("part", Integer, primary_key=True, autoincrement=False),
        Column("records", LargeBinary, nullable=False),
        sqlite_with_rowid=False,
        **MYSQL_OPTS,
    )


# Every visitor and session id of a tenant's pageviews, numbered: the rollups hold these numbers
# instead of the ids, so a distinct count is COUNT(DISTINCT <integer>) over a narrow index, several
# times cheaper than over the strings. The unique key compares ids with the fact tables'
# collation, so two ids the raw rows count as one (on MariaDB: "Ab" and "ab") get one number and
# the counts stay exactly those of the raw rows. Numbers no rollup row uses are removed by full
# rebuilds (`rollup refresh`, erasure): the ids are personal data.
rollup_members = Table(
    "rollup_members",
    metadata,
    Column("num", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("kind", String(1), nullable=False),  # VISITOR or SESSION
    Column("member", String(64), nullable=False),
    UniqueConstraint("tenant_id", "kind", "member", name="uq_rollup_members"),
    **MYSQL_OPTS,
)
VISITOR, SESSION = "v", "s"

# One row per tenant, day, session, visitor and dimension values seen together (normally one
# per session and day): the distinct visitors, sessions and funnel steps of any range and any
# grouping are COUNT(DISTINCT ...) of the members' numbers over these rows, and `pageviews` sums
# to the pageview count. The primary key clusters the rows by tenant and day (InnoDB, and SQLite
# WITHOUT ROWID), so a range is one sequential read; `n` numbers the rows of a day (the natural
# key cannot be the primary key: country is nullable, NULL being its own group, "unknown" in the
# API). Rows are replaced by whole (tenant, day) slices and never updated one by one; ingested
# pageviews append rows (loaders/rollup_delta.py), which the next rebuild of the day merges.
rollup_traffic = Table(
    "rollup_traffic",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("session_num", BigInteger, nullable=False),  # rollup_members.num
    Column("visitor_num", BigInteger, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("device", String(16), nullable=False),
    Column("country", Char2, nullable=True),
    Column("logged_in", Boolean, nullable=False),
    # the funnel steps this session reached that day: bit i for FUNNEL_STEPS[i]
    Column("steps", Integer, nullable=False),
    Column("pageviews", Integer, nullable=False),
    # by member number within a tenant: erasure finds a visitor's rows, pruning the numbers in use
    Index("ix_rollup_traffic_visitor_nums", "tenant_id", "day", "visitor_num", "logged_in"),
    Index("ix_rollup_traffic_session_nums", "tenant_id", "day", "session_num", "steps"),
    sqlite_with_rowid=False,
    **MYSQL_OPTS,
)

# The dimension values of the rollups (channel, device, country; currency), numbered: packs hold
# these numbers (loaders/packs.py). The unique key compares values with the fact tables'
# collation, so the values SQL would group as one (on MariaDB: "Paid" and "paid") share a number
# and the packs group exactly as SQL does.
rollup_labels = Table(
    "rollup_labels",
    metadata,
    Column("code", Id, primary_key=True, autoincrement=True),
    Column("dimension", String(16), nullable=False),
    Column("value", String(32), nullable=False),
    UniqueConstraint("dimension", "value", name="uq_rollup_labels"),
    **MYSQL_OPTS,
)

# rollup_traffic again, one row per tenant and day (and part, for days of more rows than a BLOB
# holds): its rows as fixed-size binary records (loaders/traffic_packs.py). Distinct counts over
# a range are taken from these in Python (numpy), a sort of the range's member numbers, which on
# a 50-tenant portfolio is several times cheaper than the COUNT(DISTINCT)s of the SQL engine.
# Rebuilt from rollup_traffic for whole days in the same transaction as every write to it.
rollup_traffic_packs = packs_table("rollup_traffic_packs", "day")

# Bookings per tenant, day, currency and channel: the additive measures, money in whole cents
# of the booking currency (converted at read time at each day's rate, as the raw path does).
rollup_bookings = Table(
    "rollup_bookings",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("currency", Char3, primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("confirmed", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("room_nights", BigInteger, nullable=False),
    Column("cents", BigInteger, nullable=False),
    Column("repeats", Integer, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_OPTS,
)

# rollup_bookings again, one row per tenant and calendar month (and part): its rows as records
# (loaders/booking_packs.py), so a portfolio's range reads a few rows per tenant instead of one
# per day and currency. Rebuilt from rollup_bookings, for whole months, in every rebuild's
# transaction.
rollup_booking_packs = packs_table("rollup_booking_packs", "month")

# The first confirmed booking of each customer: a confirmed booking is a repeat exactly when
# its customer's first confirmed booking is strictly earlier.
customer_firsts = Table(
    "rollup_customer_firsts",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("first_confirmed_at", DateTime, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_OPTS,
)

rollup_surveys = Table(
    "rollup_surveys",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("answers", Integer, nullable=False),
    Column("promoters", Integer, nullable=False),
    Column("detractors", Integer, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_OPTS,
)

# rollup_surveys again, one row per tenant and calendar month (and part), as booking packs are.
rollup_survey_packs = packs_table("rollup_survey_packs", "month")

# What each tenant's rollups were last built from, per fact table: the change check compares
# it with the live row count and highest id (like Cube's refresh keys).
rollup_state = Table(
    "rollup_state",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("row_count", BigInteger, nullable=False),
    Column("max_id", BigInteger, nullable=False),
    Column("refreshed_at", DateTime, nullable=False),
    **MYSQL_OPTS,
)

# The data version of each tenant, bumped in the same transaction as every rebuild of its
# rollups: result cache keys contain it, so a cached answer never outlives the data it came
# from. The tenant id "" is the fx rates' version (bumped by the change check).
data_versions = Table(
    "rollup_versions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    **MYSQL_OPTS,
)
FX_VERSION = ""

ROLLUP_TABLES = (rollup_members, rollup_traffic, rollup_labels, rollup_traffic_packs, rollup_bookings, rollup_booking_packs, customer_firsts, rollup_surveys, rollup_survey_packs, rollup_state, data_versions)
