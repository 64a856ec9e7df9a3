"""docker-compose.yml cannot run here (no engine), so it is checked by loading it."""

from __future__ import annotations

from pathlib import Path

import yaml

from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_checks() -> None:
    services = COMPOSE["services"]
    assert set(services) >= {"gateway", "mariadb", "redis"}
    for name in ("gateway", "mariadb", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["gateway"]["depends_on"] == {
        "mariadb": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["gateway"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_gateway_env_is_valid_settings() -> None:
    env = dict(COMPOSE["services"]["gateway"]["environment"])
    known = {name.upper() for name in Settings.model_fields}
    assert set(env) <= known, set(env) - known
    env["JWT_SECRET"] = "x" * 40  # compose demands it from the caller's environment
    settings = Settings(**{name.lower(): value for name, value in env.items()})
    assert not settings.is_sqlite
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.host == "0.0.0.0"
    assert f"{settings.port}:{settings.port}" in COMPOSE["services"]["gateway"]["ports"]


def test_database_url_matches_the_mariadb_service() -> None:
    env = COMPOSE["services"]["gateway"]["environment"]
    mariadb = COMPOSE["services"]["mariadb"]["environment"]
    expected = (
        f"mysql+aiomysql://{mariadb['MARIADB_USER']}:{mariadb['MARIADB_PASSWORD']}"
        f"@mariadb:3306/{mariadb['MARIADB_DATABASE']}"
    )
    assert env["DATABASE_URL"] == expected
    assert "${JWT_SECRET:?" in env["JWT_SECRET"], "the secret must come from the operator, never a default"
