from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from auth.query_limits import QueryLimits
from gateway.cors import parse_origins
from ingest.service import IngestPolicy

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = REPO_ROOT / "var" / "analytics.db"
DEFAULT_ALLOWLIST = REPO_ROOT / "var" / "persisted-queries.json"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "mysql+aiomysql", "mariadb+aiomysql")
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
SUPPORTED_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384")


class Settings(BaseSettings):
    """Everything configurable, read from the environment (names are part of the contract)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_file=None)

    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_STORE}"
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    jwt_secret: SecretStr | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_algorithms: tuple[str, ...] | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(30, ge=0, le=600)
    # a verified token is remembered this long (never past its expiry); 0 checks every request
    jwt_verified_ttl_seconds: float = Field(30, ge=0, le=300)

    max_range_days: int = Field(3700, ge=1, le=36600)
    tiers_file: Path | None = None
    # k-anonymity: a benchmark needs at least this many peers (never fewer than 3)
    benchmark_min_peers: int = Field(5, ge=3, le=1000)
    graphiql: bool = True
    introspection: bool = True
    # browser origins allowed to call the API (exact, comma-separated); none by default
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # document-shape limits (QUERY_TOO_COMPLEX beyond them)
    max_query_depth: int = Field(10, ge=2, le=50)
    max_aliases: int = Field(50, ge=0, le=1000)
    max_tokens: int = Field(3000, ge=100, le=100_000)
    max_root_fields: int = Field(10, ge=1, le=200)
    max_field_nodes: int = Field(400, ge=10, le=10_000)
    # requests without valid credentials, per client IP and minute
    ip_attempts_per_minute: int = Field(30, ge=1, le=100_000)
    # automatic persisted queries: how long a registered document stays, under which key prefix
    apq_ttl_seconds: int = Field(7 * 86400, ge=60, le=365 * 86400)
    apq_key_prefix: str = Field("agw:apq", pattern=r"^[A-Za-z0-9:_.-]{1,64}$")
    # allow-list mode: only the documents of APQ_ALLOWLIST_FILE run (see docs/persisted-queries.md)
    apq_allowlist: bool = False
    apq_allowlist_file: Path = DEFAULT_ALLOWLIST
    # live updates (subscriptions): at most one liveMetrics push per subscription per interval,
    # booking events waiting per subscriber before it is dropped, and the Redis key/channel prefix
    live_push_interval_seconds: float = Field(1.0, ge=0.0, le=3600.0)
    live_queue_size: int = Field(1000, ge=1, le=1_000_000)
    live_prefix: str = Field("gateway:", pattern=r"^[A-Za-z0-9:_.-]{0,64}$")
    # how often the credentials of open WebSockets are verified again (a revoked key closes them)
    live_recheck_seconds: float = Field(30.0, gt=0.0, le=3600.0)
    # on SIGTERM, how long requests under way may take to finish (below the orchestrator's
    # grace period: docker compose's stop_grace_period is 30 s here)
    shutdown_timeout: float = Field(25.0, gt=0, le=600)  # aiohttp reads 0 as "no limit"
    # alerts: how often every tenant's rules are evaluated (0: only when data lands), and how
    # many recent whole periods each evaluation judges
    alert_eval_interval_seconds: int = Field(300, ge=0, le=86_400)
    alert_recent_periods: int = Field(2, ge=1, le=31)
    # webhooks: private, loopback and link-local targets are refused unless allowed (development
    # and tests only: it opens the server-side request forgery hole); plain http likewise
    webhook_allow_private: bool = False
    webhook_allow_http: bool = False
    webhook_max_attempts: int = Field(6, ge=1, le=50)
    webhook_backoff_seconds: float = Field(30.0, ge=0.01, le=86_400)
    webhook_poll_seconds: float = Field(5.0, ge=0.05, le=3600)
    log_level: str = "INFO"
    db_pool_size: int = Field(10, ge=1, le=200)
    # writes (docs/ingestion.md)
    ingest_max_batch: int = Field(1_000, ge=1, le=100_000)
    ingest_clock_skew_seconds: int = Field(300, ge=0, le=86_400)
    ingest_max_body_bytes: int = Field(256 * 1024 * 1024, ge=1024)
    ingest_max_in_flight: int = Field(2, ge=1, le=64)
    ingest_queue_size: int = Field(8, ge=0, le=10_000)
    ingest_chunk_rows: int = Field(5_000, ge=10, le=100_000)
    ingest_shutdown_seconds: float = Field(30.0, ge=0, le=3600)
    # answer from the exact rollups (docs/performance.md); off reads every raw row again
    rollups: bool = True
    # seconds between change checks that catch loads written behind the gateway's back; 0 = off
    rollup_check_seconds: float = Field(60, ge=0, le=86_400)
    # the result cache (docs/performance.md): in memory, or in Redis when REDIS_URL is set
    cache: bool = True
    # whole answers of repeated queries (gateway/responses.py); only with CACHE on
    response_cache: bool = True
    cache_ttl_closed_seconds: float = Field(3600, gt=0, le=30 * 86_400)
    cache_ttl_open_seconds: float = Field(30, gt=0, le=86_400)
    # prefix of every cache key in Redis
    cache_namespace: str = Field("gw:cache:", min_length=1, max_length=100)
    # start the forecast workers (import statsmodels, one tiny fit) at start-up, in the background
    forecast_warmup: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(tuple(f"{d}://" for d in SUPPORTED_DRIVERS)):
            raise ValueError(f"must start with one of {', '.join(d + '://' for d in SUPPORTED_DRIVERS)}")
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes (HS256 needs a 256-bit key), "
                             "e.g. `openssl rand -base64 48`")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("jwt_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        unknown = [alg for alg in value or () if alg not in SUPPORTED_ALGORITHMS]
        if unknown:
            raise ValueError(f"unsupported algorithm(s) {unknown}; choose from {SUPPORTED_ALGORITHMS}")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> tuple[str, ...]:
        return parse_origins(value)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @model_validator(mode="after")
    def _key_files_exist(self) -> Settings:
        for name in ("jwt_public_key_file", "jwt_jwks_file", "tiers_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name.upper()}: no such file {path}")
        if self.apq_allowlist and not self.apq_allowlist_file.is_file():
            raise ValueError(f"APQ_ALLOWLIST is on but APQ_ALLOWLIST_FILE {self.apq_allowlist_file} does not exist: "
                             "register documents with `analytics-gateway persisted-queries add FILE.graphql`")
        return self

    @property
    def query_limits(self) -> QueryLimits:
        return QueryLimits(
            max_depth=self.max_query_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
            max_root_fields=self.max_root_fields,
            max_field_nodes=self.max_field_nodes,
            introspection=self.introspection,
        )

    @property
    def ingest_policy(self) -> IngestPolicy:
        return IngestPolicy(
            max_batch=self.ingest_max_batch,
            clock_skew=timedelta(seconds=self.ingest_clock_skew_seconds),
            chunk_rows=self.ingest_chunk_rows,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)


def describe(error: ValidationError) -> str:
    """One line naming each bad environment variable."""
    parts = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]).upper() or "settings"
        parts.append(f"{name}: {item['msg']}")
    return "invalid configuration: " + "; ".join(parts)
