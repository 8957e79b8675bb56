"""infra/docker-compose.yml: Compose itself validates it, and its promises hold.

Validation runs ``docker compose config -q`` (the Compose v2 plugin) or, where only
Debian's package is installed, ``docker-compose config -q`` (1.29, the Compose spec
schema); neither needs a Docker daemon.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from apps.worker.metrics import PORT_ENV
from quorum.config import load_settings
from quorum.telemetry.metrics import MULTIPROC_ENV

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
COMPOSE = INFRA / "docker-compose.yml"
FAKE = "test-only"  # pragma: allowlist secret
REQUIRED = {"QUORUM_POSTGRES_PASSWORD": FAKE, "GRAFANA_ADMIN_PASSWORD": FAKE}
WORKERS = ("worker-scan", "worker-analyze", "worker-execute", "worker-monitor")


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


def run_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        message = "neither `docker compose` nor `docker-compose` (Debian package) is installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true forbids skipping", pytrace=False)
        pytest.skip(message)
    return subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "-q"],
        cwd=INFRA,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_config_validates() -> None:
    result = run_config(REQUIRED)

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_refuses_to_run_without_the_database_password() -> None:
    result = run_config({"GRAFANA_ADMIN_PASSWORD": FAKE})

    assert result.returncode != 0
    assert "QUORUM_POSTGRES_PASSWORD" in result.stdout + result.stderr


def test_compose_has_every_service_with_one_worker_per_queue(compose: dict[str, Any]) -> None:
    services = compose["services"]

    assert set(services) == {
        "redis", "postgres", "api", "beat", "prometheus", "grafana",
        "worker-scan", "worker-analyze", "worker-execute", "worker-monitor",
    }  # fmt: skip
    for queue in ("scan", "analyze", "execute", "monitor"):
        assert services[f"worker-{queue}"]["command"] == ["worker", "--queues", queue]
        assert f"{queue}@worker-{queue}" in " ".join(
            services[f"worker-{queue}"]["healthcheck"]["test"]
        )
    assert services["beat"]["command"] == ["beat"]
    assert services["api"]["command"] == ["api"]


def test_redis_runs_the_shared_config_with_noeviction(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    mounted = {v.split(":")[0]: v.split(":")[1] for v in redis["volumes"] if v.startswith("./")}

    assert mounted["./redis/redis.conf"] == redis["command"][1]
    conf = (INFRA / "redis" / "redis.conf").read_text()
    assert "maxmemory-policy noeviction" in conf
    assert "--maxmemory-policy" not in redis["command"]  # nothing overrides it


def test_grafana_provisioning_points_at_the_dashboards_directory(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = dict(
        v.rsplit(":", 1)[0].split(":", 1) for v in grafana["volumes"] if v.startswith("./")
    )
    provider = yaml.safe_load((INFRA / "grafana/provisioning/dashboards/quorum.yml").read_text())
    datasource = yaml.safe_load(
        (INFRA / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )

    assert mounts["./grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert (INFRA / "grafana" / "dashboards").is_dir()
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_prometheus_scrapes_the_api_and_loads_the_rules_directory(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    assert jobs["quorum-api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert jobs["quorum-api"]["metrics_path"] == "/metrics"
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert (
        "./prometheus/rules:/etc/prometheus/rules:ro"
        in compose["services"]["prometheus"]["volumes"]
    )


def test_every_quorum_service_loads_its_environment_as_app_settings(
    compose: dict[str, Any],
) -> None:
    for name in ("api", "beat", "worker-execute"):
        raw = compose["services"][name]["environment"]
        env = {
            k: str(v).replace("${QUORUM_POSTGRES_PASSWORD:?set QUORUM_POSTGRES_PASSWORD}", "pw")
            for k, v in raw.items()
        }

        settings = load_settings(env=env)

        assert settings.broker_url == "redis://redis:6379/0", name
        url = "postgresql://quorum:pw@postgres:5432/"  # pragma: allowlist secret
        assert settings.database.url.startswith(url), name
        assert settings.flags.backend == "redis", name


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    published = [p for s in compose["services"].values() for p in s.get("ports", [])]

    assert published
    assert all(port.startswith("127.0.0.1:") for port in published)


def prometheus_jobs() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_every_worker_serves_multiprocess_metrics_from_its_own_tmpfs(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]

    for name in WORKERS:
        env = services[name]["environment"]
        directory = env[MULTIPROC_ENV]
        port = str(env[PORT_ENV])
        # a tmpfs of this container: empty at every start, never shared with another worker
        assert directory in services[name]["tmpfs"], name
        assert not any(v.split(":")[1] == directory for v in services[name]["volumes"]), name
        assert port.isdigit(), name
        assert port in [str(p) for p in services[name]["expose"]], name
        assert not any(str(p).endswith(f":{port}") for p in services[name].get("ports", []))
    for name in ("beat", "api"):  # beat runs no pool; the API serves /metrics itself
        assert PORT_ENV not in services[name]["environment"], name


def test_prometheus_scrapes_each_worker_on_its_metrics_port(compose: dict[str, Any]) -> None:
    job = prometheus_jobs()["quorum-worker"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    services = {group["labels"]["service"]: group["targets"] for group in job["static_configs"]}

    expected = {f"{name}:{compose['services'][name]['environment'][PORT_ENV]}" for name in WORKERS}
    assert targets == expected
    assert set(services) == set(WORKERS)
    assert all(t.startswith(f"{name}:") for name, ts in services.items() for t in ts)
    assert "queue" not in {k for g in job["static_configs"] for k in g.get("labels", {})}


def test_promtool_accepts_the_prometheus_configuration() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing and CI=true forbids skipping", pytrace=False)
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    # --syntax-only: the API token file exists only on a deployed host
    result = subprocess.run(
        [
            promtool,
            "check",
            "config",
            "--syntax-only",
            str(INFRA / "prometheus" / "prometheus.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_beat_schedules_the_sweep_on_a_queue_a_compose_worker_consumes(
    compose: dict[str, Any],
) -> None:
    from apps.worker.config import task_routes
    from apps.worker.schedule import beat_schedule

    raw = compose["services"]["beat"]["environment"]
    env = {
        k: str(v).replace("${QUORUM_POSTGRES_PASSWORD:?set QUORUM_POSTGRES_PASSWORD}", "pw")
        for k, v in raw.items()
    }
    settings = load_settings(env=env)

    entry = beat_schedule(settings)["quorum.sweep"]
    assert entry["task"] == "quorum.sweep"
    assert entry["schedule"].total_seconds() == settings.worker.sweep_interval_s
    queue = task_routes(settings.worker)["quorum.sweep"]["queue"]

    def queues(service: str) -> list[str]:
        command = [str(part) for part in compose["services"][service]["command"]]
        return command[command.index("--queues") + 1].split(",")

    consumers = [name for name in WORKERS if queue in queues(name)]
    assert consumers == ["worker-execute"]
    # one sweeper: the standalone execution worker is not a service
    commands = [" ".join(map(str, s.get("command", []))) for s in compose["services"].values()]
    assert not any("quorum.execution.worker" in c for c in commands)
