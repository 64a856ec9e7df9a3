"""The warehouse tables of warehouse.md, as one Core metadata for SQLite and MySQL/MariaDB."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Double,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.mysql import CHAR
from sqlalchemy.types import CHAR as GenericChar

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY, MySQL wants BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")
Char2 = GenericChar(2).with_variant(CHAR(2, charset="ascii"), "mysql", "mariadb")
Char3 = GenericChar(3).with_variant(CHAR(3, charset="ascii"), "mysql", "mariadb")
MYSQL_OPTS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("segment", String(64), nullable=False),
    Column("country", Char2, nullable=False),
    Column("currency", Char3, nullable=False),
    Index("ix_tenants_segment", "segment"),
    **MYSQL_OPTS,
)

pageviews = Table(
    "pageviews",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("ts", DateTime, nullable=False),
    Column("visitor_id", String(64), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("step", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("device", String(16), nullable=False),
    Column("country", Char2, nullable=True),
    Column("logged_in", Boolean, nullable=False),
    Column("utm_source", String(100)),
    Column("utm_medium", String(100)),
    Column("utm_campaign", String(100)),
    Column("referrer", String(255)),
    Index("ix_pageviews_tenant_ts", "tenant_id", "ts"),
    # attribution reads each booking's visitor's touches of a window (loaders/segments.py)
    Index("ix_pageviews_tenant_visitor", "tenant_id", "visitor_id", "ts"),
    **MYSQL_OPTS,
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("booking_ref", String(64), nullable=False),
    Column("booked_at", DateTime, nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("visitor_id", String(64)),
    Column("check_in", Date, nullable=False),
    Column("nights", Integer, nullable=False),
    Column("rooms", Integer, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", Char3, nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel", String(32), nullable=False),
    UniqueConstraint("tenant_id", "booking_ref", name="uq_bookings_tenant_ref"),
    Index("ix_bookings_tenant_booked", "tenant_id", "booked_at"),
    Index("ix_bookings_tenant_customer", "tenant_id", "customer_id", "booked_at"),
    **MYSQL_OPTS,
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("currency", Char3, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("usd_per_unit", Numeric(18, 8), nullable=False),
    **MYSQL_OPTS,
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("ts", DateTime, nullable=False),
    Column("score", SmallInteger, nullable=False),
    Column("booking_ref", String(64)),
    Index("ix_surveys_tenant_ts", "tenant_id", "ts"),
    **MYSQL_OPTS,
)

Char64 = GenericChar(64).with_variant(CHAR(64, charset="ascii"), "mysql", "mariadb")

# Partner API keys (auth/api_keys.py). Only the SHA-256 of the full key is stored, next to its
# public prefix (the unique lookup column), so a leaked table grants nothing.
# tenant_ids and scopes are JSON arrays rather than a child table: they are always read
# together with their key in the single by-prefix lookup of every request (one indexed row,
# no join), they are never queried by tenant, and JSON works alike on SQLite (TEXT) and
# MariaDB (LONGTEXT with a json_valid check). Times are naive UTC, like the facts tables.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("prefix", String(32), nullable=False),
    Column("key_hash", Char64, nullable=False),
    Column("name", String(200), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("tenant_ids", JSON, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("expires_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    **MYSQL_OPTS,
)

# Alert rules (alerts/): a threshold or anomaly rule on one metric of one tenant. The webhook
# secret is stored as given, since it must sign every delivery (HMAC needs the key itself);
# the API shows it once, in createAlertRule's answer.
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(64), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("granularity", String(8), nullable=False),
    Column("condition", String(8), nullable=False),
    Column("threshold", Double, nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("secret", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_fired_at", DateTime, nullable=True),
    Index("ix_alert_rules_tenant", "tenant_id"),
    **MYSQL_OPTS,
)

# One row per rule and period it fired for (the unique constraint makes "at most once per
# period" hold across processes), carrying its webhook delivery state so pending deliveries
# survive a restart. delivery: PENDING, DELIVERED, FAILED, or NONE (rule without webhook).
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule_id", BigInteger, nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("value", Double, nullable=False),
    Column("fired_at", DateTime, nullable=False),
    Column("delivery", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    UniqueConstraint("rule_id", "period_start", name="uq_alert_events_rule_period"),
    Index("ix_alert_events_tenant_fired", "tenant_id", "fired_at"),
    Index("ix_alert_events_due", "delivery", "next_attempt_at"),
    **MYSQL_OPTS,
)

# Per-tenant retention of raw pageviews and survey answers (`analytics-gateway retention`).
# `cutoff`: raw rows before it were dropped by the last `retention apply`; reads of ranges
# that need them are refused rather than answered from the incomplete rest.
retention_policies = Table(
    "retention_policies",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("keep_days", Integer, nullable=False),
    Column("cutoff", DateTime, nullable=True),
    **MYSQL_OPTS,
)
