"""Kubernetes manifests: kustomize builds them, the API schema accepts them, and the
blue/green, probe, resource, PDB, Vault and canary promises hold in what is rendered.

The schema check walks every rendered object through the models of the Kubernetes Python
client (``kubernetes.client.models``: each model's ``attribute_map`` and ``openapi_types``
are generated from the API's OpenAPI spec): unknown fields and wrong types are errors, and
building each model runs the client's own required-field validation. Offline: the models
ship inside the package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from apps.worker.metrics import PORT_ENV
from quorum.config import AppSettings, load_settings
from quorum.risk.settings import RiskSettings
from quorum.telemetry.metrics import MULTIPROC_ENV

ROOT = Path(__file__).resolve().parents[3]
OVERLAY = ROOT / "infra" / "k8s" / "overlays" / "production"
SCRAPE = ROOT / "infra" / "k8s" / "prometheus-scrape.yml"
QUEUES = ("scan", "analyze", "execute", "monitor")
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "object": (object,),
    "datetime": (str,),
    "date": (str,),
}


def _needed(what: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing and CI=true forbids skipping", pytrace=False)
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        _needed("kubectl (Debian package kubernetes-client)")
    result = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# --------------------------------------------------------------------------- schema


def schema_errors(value: Any, type_name: str, path: str, models: Any) -> list[str]:
    """Problems of ``value`` as ``type_name`` (a client model name or a type expression).

    Type expressions come in two spellings: ``list[X]`` / ``dict(str, X)`` (client up to
    v32) and ``List[X]`` / ``Dict[str, X]`` (v33 on, the locked one).
    """
    if value is None:
        return []
    if type_name.startswith(("List[", "Dict[")):
        type_name = type_name[0].lower() + type_name[1:]
        if type_name.startswith("dict["):
            type_name = f"dict({type_name[5:-1]})"
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        inner = type_name[5:-1]
        return [
            e for i, v in enumerate(value) for e in schema_errors(v, inner, f"{path}[{i}]", models)
        ]
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{path}: expected a mapping"]
        inner = type_name[type_name.index(",") + 1 : -1].strip()
        return [e for k, v in value.items() for e in schema_errors(v, inner, f"{path}.{k}", models)]
    if type_name in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[type_name]) and not (
            type_name in ("int", "float") and isinstance(value, bool)
        )
        return [] if ok else [f"{path}: expected {type_name}, got {type(value).__name__}"]
    model = getattr(models, type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({type_name})"]
    by_key = {key: attr for attr, key in model.attribute_map.items()}
    errors = [f"{path}.{key}: unknown field of {type_name}" for key in value if key not in by_key]
    for key, item in value.items():
        if key in by_key:
            attr = by_key[key]
            errors += schema_errors(item, model.openapi_types[attr], f"{path}.{key}", models)
    if not errors:
        try:  # the client's own required-field and enum checks
            model(**{by_key[k]: v for k, v in value.items()})
        except ValueError as exc:
            errors.append(f"{path}: {exc}")
    return errors


def model_name(doc: dict[str, Any]) -> str:
    version = doc["apiVersion"].split("/")[-1]
    return f"{version[0].upper()}{version[1:]}{doc['kind']}"


@pytest.fixture(scope="module")
def models() -> Any:
    try:
        from kubernetes.client import models as client_models  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        _needed("the Kubernetes Python client (PyPI `kubernetes`)")
    return client_models


def test_every_rendered_object_passes_the_kubernetes_schema(
    rendered: list[dict[str, Any]], models: Any
) -> None:
    errors = [
        e
        for doc in rendered
        for e in schema_errors(
            doc, model_name(doc), f"{doc['kind']}/{doc['metadata']['name']}", models
        )
    ]

    assert len(rendered) >= 20
    assert errors == []


def test_the_schema_check_catches_a_typo_a_wrong_type_and_a_missing_field(models: Any) -> None:
    typo = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"selectr": {}},
    }
    wrong = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "80"}]},
    }
    missing = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"template": {}},
    }

    assert schema_errors(typo, "V1Service", "s", models) == [
        "s.spec.selectr: unknown field of V1ServiceSpec"
    ]
    assert schema_errors(wrong, "V1Service", "s", models) == [
        "s.spec.ports[0].port: expected int, got str"
    ]
    assert any("selector" in e for e in schema_errors(missing, "V1Deployment", "d", models))


# --------------------------------------------------------------------------- promises


def test_each_colour_has_an_api_and_one_worker_per_queue(rendered: list[dict[str, Any]]) -> None:
    deployments = of_kind(rendered, "Deployment")

    for colour in ("blue", "green"):
        assert f"quorum-api-{colour}" in deployments
        for queue in QUEUES:
            worker = deployments[f"quorum-worker-{queue}-{colour}"]
            (container,) = worker["spec"]["template"]["spec"]["containers"]
            assert f"exec quorum worker --queues {queue}" in container["args"][0]
            assert worker["spec"]["selector"]["matchLabels"]["quorum.io/colour"] == colour
            assert worker["spec"]["template"]["metadata"]["labels"]["quorum.io/colour"] == colour


def test_there_is_exactly_one_uncoloured_beat_that_never_doubles(
    rendered: list[dict[str, Any]],
) -> None:
    beats = [d for n, d in of_kind(rendered, "Deployment").items() if "beat" in n]

    assert len(beats) == 1
    (beat,) = beats
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "quorum.io/colour" not in beat["spec"]["template"]["metadata"]["labels"]


def test_api_probes_use_the_live_and_ready_endpoints(rendered: list[dict[str, Any]]) -> None:
    for colour in ("blue", "green"):
        api = of_kind(rendered, "Deployment")[f"quorum-api-{colour}"]
        (container,) = api["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"


def test_every_container_requests_cpu_and_memory_and_runs_unprivileged(
    rendered: list[dict[str, Any]],
) -> None:
    for name, deployment in of_kind(rendered, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_disruption_budgets_cover_the_api_and_every_worker_queue(
    rendered: list[dict[str, Any]],
) -> None:
    budgets = of_kind(rendered, "PodDisruptionBudget")
    deployments = of_kind(rendered, "Deployment")

    for name in ["quorum-api", *(f"quorum-worker-{q}" for q in QUEUES)]:
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        covered = [
            d
            for d, dep in deployments.items()
            if selector.items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert sorted(covered) == [f"{name}-blue", f"{name}-green"], name


def test_the_service_selects_one_colour_and_the_preview_the_other(
    rendered: list[dict[str, Any]],
) -> None:
    services = of_kind(rendered, "Service")
    deployments = of_kind(rendered, "Deployment")

    live = services["quorum-api"]["spec"]["selector"]["quorum.io/colour"]
    preview = services["quorum-api-preview"]["spec"]["selector"]["quorum.io/colour"]
    assert {live, preview} == {"blue", "green"}
    assert deployments[f"quorum-api-{live}"]["spec"]["replicas"] > 0
    assert deployments[f"quorum-worker-execute-{preview}"]["spec"]["replicas"] == 0
    assert services["quorum-api"]["metadata"]["annotations"]["quorum.io/previous-colour"] == ""


def pod_env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container.get("env", [])}


def test_the_candidate_colour_reads_the_canary_settings(rendered: list[dict[str, Any]]) -> None:
    services = of_kind(rendered, "Service")
    live = services["quorum-api"]["spec"]["selector"]["quorum.io/colour"]
    candidate = services["quorum-api-preview"]["spec"]["selector"]["quorum.io/colour"]

    for name, deployment in of_kind(rendered, "Deployment").items():
        if name.endswith(f"-{live}"):
            assert pod_env(deployment)["QUORUM_CONFIG"] == "/etc/quorum/live.yaml", name
        if name.endswith(f"-{candidate}"):
            assert pod_env(deployment)["QUORUM_CONFIG"] == "/etc/quorum/canary.yaml", name


def settings_files(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    data = of_kind(rendered, "ConfigMap")["quorum-settings"]["data"]
    return {name: yaml.safe_load(text) for name, text in data.items()}


def test_canary_risk_limits_are_valid_and_tighter_than_the_defaults(
    rendered: list[dict[str, Any]],
) -> None:
    canary = settings_files(rendered)["canary.yaml"]["risk"]
    limits = RiskSettings.model_validate(canary)
    defaults = RiskSettings()

    for section, values in canary.items():
        for key in values:
            ours, theirs = (
                getattr(getattr(limits, section), key),
                getattr(getattr(defaults, section), key),
            )
            if theirs is not None:
                assert Decimal(str(ours)) < Decimal(str(theirs)), f"{section}.{key}"
    assert limits.venue.default_max_order_notional == Decimal(250)
    assert "risk" not in settings_files(rendered)["live.yaml"]


def vault_exports(deployment: dict[str, Any]) -> dict[str, str]:
    """The variables the Vault Agent template exports, with placeholder values."""
    notes = deployment["spec"]["template"]["metadata"]["annotations"]
    template = notes["vault.hashicorp.com/agent-inject-template-quorum.env"]
    names = re.findall(r"^export (\w+)=", template, flags=re.MULTILINE)
    fake = {
        "QUORUM_DATABASE__URL": "postgresql://quorum@db:5432/quorum",
        "QUORUM_BROKER_URL": "redis://redis:6379/0",
        "QUORUM_FLAGS__REDIS_URL": "redis://redis:6379/1",
        "QUORUM_API__RATE_LIMIT_STORAGE_URL": "redis://redis:6379/2",
    }
    return {name: fake.get(name, "placeholder") for name in names}


def test_pods_get_their_secrets_from_the_vault_agent_injector(
    rendered: list[dict[str, Any]],
) -> None:
    for name, deployment in of_kind(rendered, "Deployment").items():
        notes = deployment["spec"]["template"]["metadata"]["annotations"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert notes["vault.hashicorp.com/agent-inject"] == "true", name
        assert notes["vault.hashicorp.com/role"] == "quorum", name
        assert container["args"][0].startswith(". /vault/secrets/quorum.env && exec quorum "), name
        assert {"QUORUM_DATABASE__URL", "QUORUM_JOURNAL_SIGNING_KEY"} <= set(
            vault_exports(deployment)
        )
    for secret_like in ("PASSWORD", "TOKEN_SECRET=", "SIGNING_KEY="):
        env = of_kind(rendered, "ConfigMap")["quorum-env"]["data"]
        assert not any(secret_like in f"{k}={v}" for k, v in env.items())


def test_rendered_environment_and_live_settings_load_as_app_settings(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = dict(of_kind(rendered, "ConfigMap")["quorum-env"]["data"])
    live = tmp_path / "live.yaml"
    live.write_text(yaml.safe_dump(settings_files(rendered)["live.yaml"]))
    api = of_kind(rendered, "Deployment")["quorum-api-blue"]

    settings = load_settings(env={**env, **vault_exports(api)}, config_path=str(live))

    assert settings.flags.backend == "redis"
    assert settings.journal.signing_key_ref == "env:QUORUM_JOURNAL_SIGNING_KEY"
    assert settings.api.host == "0.0.0.0"
    assert settings.broker_url == "redis://redis:6379/0"


def test_canary_settings_load_as_app_settings(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    if "risk" not in AppSettings.model_fields:
        pytest.skip("AppSettings has no `risk` component yet (the orchestration issue adds it)")
    canary = tmp_path / "canary.yaml"
    canary.write_text(yaml.safe_dump(settings_files(rendered)["canary.yaml"]))

    settings = load_settings(env={}, config_path=str(canary))

    assert settings.risk.sizing.max_risk_fraction == Decimal("0.005")


# --------------------------------------------------------------------------- worker metrics


def worker_deployments(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: d
        for name, d in of_kind(rendered, "Deployment").items()
        if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        == "worker"
    }


def test_every_worker_serves_multiprocess_metrics_from_a_memory_volume(
    rendered: list[dict[str, Any]],
) -> None:
    workers = worker_deployments(rendered)

    assert len(workers) == 2 * len(QUEUES)
    for name, deployment in workers.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = pod_env(deployment)
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        notes = deployment["spec"]["template"]["metadata"]["annotations"]

        volume = volumes[mounts[env[MULTIPROC_ENV]]]
        assert volume["emptyDir"]["medium"] == "Memory", name  # per pod, never a shared PVC
        assert ports["metrics"] == int(env[PORT_ENV]), name
        assert notes["prometheus.io/scrape"] == "true", name
        assert notes["prometheus.io/port"] == env[PORT_ENV], name
    for name, deployment in of_kind(rendered, "Deployment").items():
        if name not in workers:  # the API serves /metrics itself; beat runs no pool
            assert PORT_ENV not in pod_env(deployment), name


def metrics_services(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in of_kind(rendered, "Service").items() if "-metrics-" in n}


def test_each_worker_deployment_has_one_headless_metrics_service(
    rendered: list[dict[str, Any]],
) -> None:
    services = metrics_services(rendered)

    for name, deployment in worker_deployments(rendered).items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selecting = [
            s for s, svc in services.items() if svc["spec"]["selector"].items() <= labels.items()
        ]
        queue, colour = labels["quorum.io/queue"], labels["quorum.io/colour"]
        assert selecting == [f"quorum-worker-{queue}-metrics-{colour}"], name
        (service,) = (services[s] for s in selecting)
        assert service["spec"]["clusterIP"] == "None"  # headless: DNS lists the pod IPs
        (port,) = service["spec"]["ports"]
        assert port["targetPort"] == "metrics"
        assert str(port["port"]) == pod_env(deployment)[PORT_ENV]


def test_the_prometheus_scrape_config_resolves_every_metrics_service(
    rendered: list[dict[str, Any]],
) -> None:
    config = yaml.safe_load(SCRAPE.read_text())
    (job,) = config["scrape_configs"]
    namespaces = {s["metadata"]["namespace"] for s in metrics_services(rendered).values()}
    (namespace,) = namespaces

    names = {n for sd in job["dns_sd_configs"] for n in sd["names"]}
    expected = {f"{s}.{namespace}.svc" for s in metrics_services(rendered)}
    assert len(expected) == 2 * len(QUEUES)
    assert names == expected
    ports = {sd["port"] for sd in job["dns_sd_configs"]}
    assert ports == {int(pod_env(d)[PORT_ENV]) for d in worker_deployments(rendered).values()}
    assert job["job_name"] == "quorum-worker"


def test_promtool_accepts_the_kubernetes_scrape_config() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        _needed("promtool (Debian package prometheus)")
    result = subprocess.run(
        [promtool, "check", "config", "--syntax-only", str(SCRAPE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_beat_schedules_the_sweep_on_a_queue_each_colour_consumes(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    from apps.worker.config import task_routes
    from apps.worker.schedule import beat_schedule

    env = dict(of_kind(rendered, "ConfigMap")["quorum-env"]["data"])
    live = tmp_path / "live.yaml"
    live.write_text(yaml.safe_dump(settings_files(rendered)["live.yaml"]))
    api = of_kind(rendered, "Deployment")["quorum-api-blue"]
    settings = load_settings(env={**env, **vault_exports(api)}, config_path=str(live))

    assert beat_schedule(settings)["quorum.sweep"]["task"] == "quorum.sweep"
    queue = task_routes(settings.worker)["quorum.sweep"]["queue"]
    deployments = of_kind(rendered, "Deployment")
    for colour in ("blue", "green"):
        (container,) = deployments[f"quorum-worker-{queue}-{colour}"]["spec"]["template"]["spec"][
            "containers"
        ]
        assert f"exec quorum worker --queues {queue}" in container["args"][0]
    (beat,) = [d for n, d in deployments.items() if "beat" in n]
    (container,) = beat["spec"]["template"]["spec"]["containers"]
    assert "beat" in " ".join(container.get("args", []) + container.get("command", []))
    # one sweeper: nothing runs the standalone execution worker
    for deployment in deployments.values():
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            assert "quorum.execution.worker" not in " ".join(
                c.get("args", []) + c.get("command", [])
            )
