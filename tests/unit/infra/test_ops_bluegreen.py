"""ops/bluegreen.sh against a fake kubectl on PATH that records calls and keeps state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.infra.fake_kubectl import initial_state

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "ops" / "bluegreen.sh"
FAKE = Path(__file__).with_name("fake_kubectl.py")
ROLES = ("api", "worker-scan", "worker-analyze", "worker-execute", "worker-monitor")
FULL = {"api": 3, "worker-scan": 2, "worker-analyze": 2, "worker-execute": 2, "worker-monitor": 1}


@dataclass
class Cluster:
    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def log_file(self) -> Path:
        return self.root / "calls.jsonl"

    def state(self) -> dict[str, Any]:
        loaded = json.loads(self.state_file.read_text())
        assert isinstance(loaded, dict)
        return loaded

    def calls(self) -> list[list[str]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line)[2:] for line in self.log_file.read_text().splitlines()]

    def forget_calls(self) -> None:
        self.log_file.unlink(missing_ok=True)

    def replicas(self, colour: str) -> dict[str, int]:
        deployments = self.state()["deployments"]
        return {role: deployments[f"quorum-{role}-{colour}"]["replicas"] for role in ROLES}

    def config(self, colour: str) -> set[str]:
        deployments = self.state()["deployments"]
        return {deployments[f"quorum-{r}-{colour}"]["env"]["QUORUM_CONFIG"] for r in ROLES}

    def service(self, name: str = "quorum-api") -> tuple[str, str]:
        service = self.state()["services"][name]
        return service["selector"]["quorum.io/colour"], service["annotations"].get(
            "quorum.io/previous-colour", ""
        )

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {
            **os.environ,
            "PATH": f"{self.root / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "FAKE_KUBECTL_STATE": str(self.state_file),
            "FAKE_KUBECTL_LOG": str(self.log_file),
            **env,
        }
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    kubectl.chmod(0o755)
    made = Cluster(tmp_path)
    made.state_file.write_text(json.dumps(initial_state(live="blue", image="quorum:1")))
    return made


def promoted(cluster: Cluster) -> None:
    staged = cluster.run("stage", "quorum:2")
    assert staged.returncode == 0, staged.stderr
    done = cluster.run("promote")
    assert done.returncode == 0, done.stderr
    cluster.forget_calls()


def test_status_names_the_live_colour_and_the_candidate(cluster: Cluster) -> None:
    result = cluster.run("status")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == ["live: blue", "candidate: green", "previous: none"]
    assert "quorum-api-green green 0 quorum:1 /etc/quorum/canary.yaml" in result.stdout


def test_stage_puts_the_image_on_the_idle_colour_with_canary_limits(cluster: Cluster) -> None:
    result = cluster.run("stage", "quorum:2")

    assert result.returncode == 0, result.stderr
    assert cluster.config("green") == {"/etc/quorum/canary.yaml"}
    assert cluster.replicas("green") == dict.fromkeys(ROLES, 1)
    assert cluster.replicas("blue") == FULL
    assert cluster.service() == ("blue", "")
    assert cluster.service("quorum-api-preview")[0] == "green"
    images = {n: d["image"] for n, d in cluster.state()["deployments"].items()}
    assert {images[f"quorum-{r}-green"] for r in ROLES} == {"quorum:2"}
    assert {images[f"quorum-{r}-blue"] for r in ROLES} | {images["quorum-beat"]} == {"quorum:1"}


def test_promote_waits_for_the_candidate_then_flips_the_service(cluster: Cluster) -> None:
    assert cluster.run("stage", "quorum:2").returncode == 0
    cluster.forget_calls()

    result = cluster.run("promote")

    assert result.returncode == 0, result.stderr
    assert cluster.service() == ("green", "blue")
    assert cluster.config("green") == {"/etc/quorum/live.yaml"}
    assert cluster.replicas("green") == FULL
    # the old colour stops trading at once but keeps its API up for a fast rollback
    assert cluster.replicas("blue") == {**dict.fromkeys(ROLES, 0), "api": 3}
    assert cluster.state()["deployments"]["quorum-beat"]["image"] == "quorum:2"
    calls = cluster.calls()
    waits = [i for i, c in enumerate(calls) if c[:2] == ["rollout", "status"]]
    flip = next(i for i, c in enumerate(calls) if c[:3] == ["patch", "service", "quorum-api"])
    assert len(waits) == len(ROLES)
    assert max(waits) < flip


def test_promote_leaves_traffic_alone_when_the_candidate_does_not_become_ready(
    cluster: Cluster,
) -> None:
    assert cluster.run("stage", "quorum:2").returncode == 0

    result = cluster.run("promote", FAKE_KUBECTL_FAIL_ROLLOUT="quorum-worker-execute-green")

    assert result.returncode == 1
    assert "did not become ready" in result.stderr
    assert cluster.service() == ("blue", "")
    assert cluster.replicas("blue") == FULL


def test_rollback_after_promote_flips_back_and_scales_within_a_minute(cluster: Cluster) -> None:
    promoted(cluster)
    started = time.monotonic()

    result = cluster.run("rollback")

    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60
    assert cluster.service() == ("blue", "")
    assert cluster.replicas("blue") == FULL
    assert cluster.replicas("green") == dict.fromkeys(ROLES, 0)
    assert cluster.state()["deployments"]["quorum-beat"]["image"] == "quorum:1"
    verbs = {tuple(call[:2]) for call in cluster.calls()}
    assert verbs.isdisjoint({("rollout", "status"), ("set", "env")})  # no waiting, no settings
    set_images = [call for call in cluster.calls() if call[:2] == ["set", "image"]]
    assert set_images == [["set", "image", "deployment/quorum-beat", "quorum=quorum:1"]]
    flip = next(i for i, c in enumerate(cluster.calls()) if c[:2] == ["patch", "service"])
    first_scale = next(i for i, c in enumerate(cluster.calls()) if c[0] == "scale")
    assert flip < first_scale  # traffic moves first


def test_rollback_before_promote_only_stops_the_candidate(cluster: Cluster) -> None:
    assert cluster.run("stage", "quorum:2").returncode == 0

    result = cluster.run("rollback")

    assert result.returncode == 0, result.stderr
    assert cluster.service() == ("blue", "")
    assert cluster.replicas("green") == dict.fromkeys(ROLES, 0)
    assert cluster.replicas("blue") == FULL


def test_rollback_fails_loudly_when_it_overruns_its_budget(cluster: Cluster) -> None:
    promoted(cluster)

    result = cluster.run("rollback", FAKE_KUBECTL_DELAY="0.2", ROLLBACK_BUDGET_S="1")

    assert result.returncode == 1
    assert "over the 1s budget" in result.stderr


def test_finish_scales_the_previous_colour_away_and_clears_the_record(cluster: Cluster) -> None:
    promoted(cluster)

    result = cluster.run("finish")

    assert result.returncode == 0, result.stderr
    assert cluster.replicas("blue") == dict.fromkeys(ROLES, 0)
    assert cluster.service() == ("green", "")
    assert cluster.run("finish").returncode == 1


def test_a_service_pointing_at_no_colour_is_refused(cluster: Cluster) -> None:
    state = cluster.state()
    state["services"]["quorum-api"]["selector"]["quorum.io/colour"] = "purple"
    cluster.state_file.write_text(json.dumps(state))

    result = cluster.run("promote")

    assert result.returncode != 0
    assert "not a colour: 'purple'" in result.stderr
    assert not any(call[0] in ("scale", "patch", "set") for call in cluster.calls())
