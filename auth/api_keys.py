"""Partner API keys: generating, hashing, verifying, and the principal a key stands for.

Format: `agw_<id>_<secret>`, e.g. `agw_3f9a1c0b7d2e_Xk2...` (60 characters):
- `agw_` makes a leaked key recognisable (secret scanners, logs);
- `<id>` is 12 hex characters, public: `agw_<id>` is the stored prefix, the lookup key and
  what `keys list` and `keys revoke` show;
- `<secret>` is 43 base62 characters drawn with `secrets`, 256 bits of entropy.

Only SHA-256(full key) is stored. A slow password hash (bcrypt, argon2) protects guessable
passwords; against 256 random bits it adds nothing but ~100 ms per request, and a leaked
table still yields no usable key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import string
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from core.errors import ServiceUnavailable, Unauthenticated
from core.vocabulary import DEFAULT_SCOPES, PrincipalKind, Scope, Tier
from loaders.api_key_store import ApiKeyRecord, find_by_prefix, insert_key, touch_last_used
from loaders.outage import DatabaseHealth

log = logging.getLogger(__name__)

SCHEME = "agw_"
ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 43  # 43 * log2(62) = 256.0 bits
KEY_PATTERN = re.compile(rf"({SCHEME}[0-9a-f]{{12}})_[0-9A-Za-z]{{{SECRET_LENGTH}}}")

# compared against when the prefix is unknown, so that path does the same work as a wrong secret
_NO_HASH = "0" * 64


def utcnow() -> datetime:
    """Naive UTC, as the tables store times."""
    return datetime.now(UTC).replace(tzinfo=None)


def generate_key() -> tuple[str, str]:
    """A new (key, prefix)."""
    prefix = SCHEME + secrets.token_hex(6)
    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{prefix}_{secret}", prefix


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def prefix_of(key: str) -> str:
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        raise Unauthenticated(f"malformed API key: expected `{SCHEME}<id>_<secret>`")
    return match[1]


def principal_for(record: ApiKeyRecord | None, key: str, now: datetime) -> Principal:
    """The key's principal, or Unauthenticated. Unknown prefix and wrong secret read alike."""
    matches = hmac.compare_digest(record.key_hash if record else _NO_HASH, hash_key(key))
    if record is None or not matches:
        raise Unauthenticated("invalid API key")
    # only the holder of the real key learns why it no longer works
    if record.revoked_at is not None:
        raise Unauthenticated("API key has been revoked")
    if record.expires_at is not None and record.expires_at <= now:
        raise Unauthenticated("API key has expired")
    try:
        tier = Tier(record.tier)
    except ValueError as error:
        raise Unauthenticated("API key has an unknown tier") from error
    scopes = (frozenset(record.scopes) & {scope.value for scope in Scope}) or DEFAULT_SCOPES
    expires_at = None if record.expires_at is None else record.expires_at.replace(tzinfo=UTC)
    return Principal(
        PrincipalKind.API_KEY, record.name or record.prefix, tier, record.tenant_ids, scopes, expires_at=expires_at,
        identity=record.prefix,
    )


async def create_key(
    engine: AsyncEngine,
    *,
    name: str,
    tier: Tier,
    tenant_ids: Sequence[str],
    expires_in: timedelta | None = None,
    scopes: Sequence[str] = tuple(DEFAULT_SCOPES),
) -> tuple[str, ApiKeyRecord]:
    """Stores a new key and returns it with its record; the key cannot be recovered later."""
    now = utcnow()
    attempts = 3  # 48-bit ids: a clash is astronomically rare, but cheap to survive
    for attempt in range(1, attempts + 1):
        key, prefix = generate_key()
        record = ApiKeyRecord(
            prefix=prefix,
            key_hash=hash_key(key),
            name=name,
            tier=tier.value,
            tenant_ids=tuple(dict.fromkeys(tenant_ids)),
            scopes=tuple(scopes),
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        try:
            await insert_key(engine, record)
            return key, record
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


class LastUsedRecorder:
    """Records last use without a write per request.

    A write happens only when the stored last_used_at is older than `interval` (so replicas
    that see a fresh value skip it) and this process has not written for the key within
    `interval` (so a burst of requests before the first write lands makes one write). The
    write runs as a fire-and-forget task: the request never waits for it, and a failure
    (locked SQLite, lost connection) is logged and otherwise ignored, since last_used is
    advisory. Precision is therefore `interval`, and at most one write per key per
    interval per process.

    Pending writes are held in `_pending` (asyncio keeps only weak references to tasks).
    `drain()` awaits them; wiring it into the app's on_shutdown would also let a write that
    is under way at shutdown finish before the engine is disposed (today such a write may
    be lost, which costs at most one minute of last_used precision).
    """

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._written: dict[str, float] = {}
        self._pending: set[asyncio.Task[None]] = set()  # strong references until done

    def seen(self, engine: AsyncEngine, record: ApiKeyRecord, now: datetime) -> None:
        if record.last_used_at is not None and now - record.last_used_at < timedelta(seconds=self.interval):
            return
        tick = self._clock()
        last = self._written.get(record.prefix)
        if last is not None and tick - last < self.interval:
            return
        self._written[record.prefix] = tick
        if len(self._written) > 10_000:  # bound the memory: forget keys not written recently
            self._written = {p: t for p, t in self._written.items() if tick - t < self.interval}
        task = asyncio.get_running_loop().create_task(self._write(engine, record.prefix, now))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, engine: AsyncEngine, prefix: str, now: datetime) -> None:
        try:
            async with asyncio.timeout(10):
                await touch_last_used(engine, prefix, now)
        except Exception:  # noqa: BLE001 - advisory data must never surface as an error
            log.warning("could not record the last use of API key %s", prefix, exc_info=True)

    async def drain(self) -> None:
        """Waits for the writes under way (shutdown, tests)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


class ApiKeyAuthenticator:
    """Checks `X-API-Key` against the store on every request.

    No cache: one indexed single-row read per request, so a key created by any instance
    or the CLI works at once everywhere, and a revocation takes effect on the next request.
    """

    def __init__(self, recorder: LastUsedRecorder | None = None) -> None:
        self.recorder = recorder or LastUsedRecorder()

    async def authenticate(self, engine: AsyncEngine, key: str, health: DatabaseHealth | None = None) -> Principal:
        prefix = prefix_of(key)
        unavailable = ServiceUnavailable("API keys cannot be checked right now; retry later")
        if health is not None and not await health.answers():
            raise unavailable  # an outage under way: refused at once, logged when it began
        try:
            record = await find_by_prefix(engine, prefix)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            # an outage is not the partner's fault: 503, not a misleading 401
            if health is None:
                log.exception("API key lookup failed")
            else:
                health.failed(error)
            raise unavailable from error
        now = utcnow()
        principal = principal_for(record, key, now)
        assert record is not None  # principal_for refuses unknown keys
        self.recorder.seen(engine, record, now)
        return principal
