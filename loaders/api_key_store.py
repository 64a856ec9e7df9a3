"""SQL for the api_keys table: create, find by prefix, list, revoke, touch last_used.

Key logic (generating, hashing, verifying) lives in auth/api_keys.py; this module only
moves rows. All times are naive UTC datetimes, as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from loaders.tables import api_keys, tenants


@dataclass(frozen=True)
class ApiKeyRecord:
    """One stored key: everything but the key itself, which is never stored."""

    prefix: str
    key_hash: str
    name: str
    tier: str
    tenant_ids: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


def _record(row: RowMapping) -> ApiKeyRecord:
    return ApiKeyRecord(
        prefix=row["prefix"],
        key_hash=row["key_hash"],
        name=row["name"],
        tier=row["tier"],
        tenant_ids=tuple(row["tenant_ids"] or ()),
        scopes=tuple(row["scopes"] or ()),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


async def insert_key(engine: AsyncEngine, record: ApiKeyRecord) -> None:
    """Raises sqlalchemy.exc.IntegrityError when the prefix is taken."""
    async with engine.begin() as conn:
        await conn.execute(
            api_keys.insert().values(
                prefix=record.prefix,
                key_hash=record.key_hash,
                name=record.name,
                tier=record.tier,
                tenant_ids=list(record.tenant_ids),
                scopes=list(record.scopes),
                created_at=record.created_at,
                last_used_at=record.last_used_at,
                expires_at=record.expires_at,
                revoked_at=record.revoked_at,
            )
        )


async def find_by_prefix(engine: AsyncEngine, prefix: str) -> ApiKeyRecord | None:
    # one row through the unique index on prefix: the whole cost of an API-key request
    async with engine.connect() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.prefix == prefix))).mappings().first()
    return None if row is None else _record(row)


async def list_keys(engine: AsyncEngine) -> list[ApiKeyRecord]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id))).mappings().all()
    return [_record(row) for row in rows]


async def revoke_key(engine: AsyncEngine, prefix: str, at: datetime) -> bool:
    """Marks the key revoked; False when no unrevoked key has this prefix (the first revocation time stays)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )
    return result.rowcount > 0


async def touch_last_used(engine: AsyncEngine, prefix: str, at: datetime) -> None:
    # never moves last_used backwards (a late write from a slow replica loses, harmlessly)
    async with engine.begin() as conn:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.prefix == prefix, or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at < at))
            .values(last_used_at=at)
        )


async def unknown_tenant_ids(engine: AsyncEngine, ids: Sequence[str]) -> list[str]:
    """The ids that name no tenant of the store (a typo in `keys create` is worth a warning)."""
    async with engine.connect() as conn:
        found = set((await conn.execute(select(tenants.c.id).where(tenants.c.id.in_(list(ids))))).scalars())
    return [tenant_id for tenant_id in ids if tenant_id not in found]
