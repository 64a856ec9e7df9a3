"""docker-compose.yml cannot run here (no engine), so it is checked by loading it."""

from __future__ import annotations

from pathlib import Path

import json
import tomllib

import yaml

from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text().splitlines()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = "\n".join(DOCKERFILE).replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(keyword.upper(), rest.strip()) for keyword, _, rest in (line.partition(" ") for line in lines)]


def test_services_and_health_checks() -> None:
    services = COMPOSE["services"]
    assert set(services) >= {"gateway", "mariadb", "redis"}
    for name in ("gateway", "mariadb", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["gateway"]["depends_on"] == {
        "init-db": {"condition": "service_completed_successfully"},
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


def test_the_gateway_is_pid_1_without_a_shell() -> None:
    steps = dict(instructions())
    entrypoint, command = json.loads(steps["ENTRYPOINT"]), json.loads(steps["CMD"])  # exec form: JSON arrays
    assert entrypoint == ["analytics-gateway"] and command == ["serve"]
    assert not any(word in ("sh", "bash", "/bin/sh", "-c") for word in entrypoint + command)
    for name in ("gateway", "init-db"):
        assert COMPOSE["services"][name]["command"][0] in ("serve", "init-db"), name
        assert "sh" not in COMPOSE["services"][name]["command"]


def test_dependencies_are_a_layer_of_their_own() -> None:
    steps = instructions()
    copies = [i for i, (keyword, _) in enumerate(steps) if keyword == "COPY"]
    installs = [i for i, (keyword, rest) in enumerate(steps) if keyword == "RUN" and "pip install" in rest]
    assert steps[copies[0]][1] == "pyproject.toml ./", "only the dependency list before the first install"
    assert copies[0] < installs[0] < copies[1] < installs[1]
    assert "--no-deps" in steps[installs[1]][1], "the code layer installs no dependencies"
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert dependencies, "the first layer installs pyproject's dependencies"


def test_every_package_reaches_the_image_and_no_secret_does() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored), "local stores hold JWT secrets; never ship them"
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in (p.rstrip("*") for p in patterns):
        assert (ROOT / package).is_dir() and package not in ignored, package
    assert ("COPY", ". .") in instructions()


def test_stop_grace_period_outlasts_the_drain() -> None:
    gateway = COMPOSE["services"]["gateway"]
    grace = int(gateway["stop_grace_period"].rstrip("s"))
    assert float(gateway["environment"]["SHUTDOWN_TIMEOUT"]) < grace
    assert COMPOSE["services"]["init-db"]["environment"]["DATABASE_URL"] == gateway["environment"]["DATABASE_URL"]
