"""Delivery files, checked statically: Dockerfile, .dockerignore, CI workflow, commit hooks.

Docker cannot build on the development machines, so the Dockerfile is parsed here and its
promises are asserted: two stages, main dependencies only from the lock, the project as a
wheel, a non-root runtime with a health check, and `quorum` as the entry point.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Logical instructions: continuations joined, comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
        pending = ""
    assert pending == "", "Dockerfile ends inside a line continuation"
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by stage; each group starts with its FROM."""
    grouped: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            grouped.append([])
        if grouped:
            grouped[-1].append(instruction)
    return grouped


def env_of(stage: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for token in shlex.split(instruction.args):
                key, _, value = token.partition("=")
                values[key] = value
    return values


def args_of(stage: list[Instruction], keyword: str) -> list[str]:
    return [instruction.args for instruction in stage if instruction.keyword == keyword]


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "poetry.lock").read_text())
    versions = [package["version"] for package in lock["package"] if package["name"] == name]
    assert len(versions) == 1, f"{name} in poetry.lock: expected one entry, got {versions}"
    return str(versions[0])


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def builder(dockerfile: list[Instruction]) -> list[Instruction]:
    return stages(dockerfile)[0]


@pytest.fixture(scope="module")
def runtime(dockerfile: list[Instruction]) -> list[Instruction]:
    return stages(dockerfile)[-1]


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def hooks() -> dict[str, dict[str, Any]]:
    """Every pre-commit hook by id, with the repo and rev it comes from."""
    loaded = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    found: dict[str, dict[str, Any]] = {}
    for repo in loaded["repos"]:
        for hook in repo["hooks"]:
            found[hook["id"]] = {**hook, "repo": repo["repo"], "rev": repo.get("rev")}
    return found


# --------------------------------------------------------------------------- Dockerfile


def test_parser_joins_continuations_and_drops_comments() -> None:
    parsed = parse_dockerfile("# c\nFROM x AS b\nRUN a \\\n  # inner\n  && b\n")

    assert parsed == [Instruction("FROM", "x AS b"), Instruction("RUN", "a && b")]


def test_dockerfile_is_multi_stage_on_python_312_slim(dockerfile: list[Instruction]) -> None:
    froms = [instruction.args for instruction in dockerfile if instruction.keyword == "FROM"]
    image_arg = [i.args for i in dockerfile if i.keyword == "ARG" and i.args.startswith("PYTHON")]

    assert len(froms) >= 2
    assert froms[0].endswith("AS builder")
    assert froms[-1].endswith("AS runtime")
    assert image_arg == ["PYTHON_IMAGE=python:3.12-slim"]
    assert all(args.startswith("${PYTHON_IMAGE} ") for args in froms)


def test_builder_pins_the_same_poetry_version_as_the_makefile(builder: list[Instruction]) -> None:
    makefile = (ROOT / "Makefile").read_text()
    wanted = re.search(r"^POETRY_VERSION \?= (\S+)$", makefile, re.MULTILINE)
    assert wanted is not None

    assert f"POETRY_VERSION={wanted.group(1)}" in args_of(builder, "ARG")
    assert any('"poetry==${POETRY_VERSION}"' in run for run in args_of(builder, "RUN"))


def test_builder_installs_only_main_dependencies_through_the_poetry_shim(
    builder: list[Instruction],
) -> None:
    syncs = [run for run in args_of(builder, "RUN") if "tools/poetry_lock.py sync" in run]

    assert len(syncs) == 1
    assert "--only main" in syncs[0]
    assert "--no-root" in syncs[0]
    assert env_of(builder)["VIRTUAL_ENV"] == "/opt/venv"
    assert "tools/poetry_lock.py tools/poetry_lock.py" in args_of(builder, "COPY")


def test_builder_installs_the_project_as_a_wheel_without_resolving_again(
    builder: list[Instruction],
) -> None:
    runs = " ".join(args_of(builder, "RUN"))

    assert "tools/poetry_lock.py build --format wheel --output dist" in runs
    assert '"$VIRTUAL_ENV/bin/pip" install --no-deps dist/*.whl' in runs
    assert "--editable" not in runs
    assert " -e " not in runs


def test_builder_copies_every_package_root_that_pyproject_packages(
    builder: list[Instruction],
) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    roots = {
        package.get("from") or package["include"].split("/")[0]
        for package in pyproject["tool"]["poetry"]["packages"]
    }
    copied = {args.split()[0] for args in args_of(builder, "COPY")}

    assert roots <= copied, f"not copied into the builder: {sorted(roots - copied)}"


def test_runtime_stage_copies_only_the_venv_from_the_builder(runtime: list[Instruction]) -> None:
    assert args_of(runtime, "COPY") == ["--from=builder /opt/venv /opt/venv"]
    assert args_of(runtime, "ADD") == []


def test_final_stage_runs_as_the_non_root_quorum_user(runtime: list[Instruction]) -> None:
    users = args_of(runtime, "USER")
    creates_user = " ".join(args_of(runtime, "RUN"))

    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user in {"quorum", "10001"}
    assert "useradd" in creates_user
    assert "--uid 10001" in creates_user


def test_runtime_environment_workdir_and_writable_var(runtime: list[Instruction]) -> None:
    env = env_of(runtime)

    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert env["NUMBA_CACHE_DIR"] == "/app/var/numba-cache"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert args_of(runtime, "WORKDIR") == ["/app"]
    runs = " ".join(args_of(runtime, "RUN"))
    assert "mkdir -p /app/var/numba-cache" in runs
    assert "chown -R 10001:10001 /app/var" in runs


def test_the_image_warms_the_numba_cache_as_its_user_after_creating_it(
    runtime: list[Instruction],
) -> None:
    """The kernels compiled into NUMBA_CACHE_DIR at build time, by the user that reads it."""
    order = [(i.keyword, i.args) for i in runtime]
    made = next(n for n, (k, a) in enumerate(order) if k == "RUN" and "numba-cache" in a)
    user = next(n for n, (k, _) in enumerate(order) if k == "USER")
    warms = [n for n, (k, a) in enumerate(order) if k == "RUN" and "warm_up_kernels()" in a]

    assert len(warms) == 1
    assert made < user < warms[0]


def test_healthcheck_probes_the_live_endpoint_with_urllib(runtime: list[Instruction]) -> None:
    (check,) = args_of(runtime, "HEALTHCHECK")
    _, _, command = check.partition(" CMD ")

    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2]
    assert "http://127.0.0.1:8000/health/live" in argv[2]
    assert "curl" not in check


def test_entrypoint_is_quorum_and_the_default_command_is_api(runtime: list[Instruction]) -> None:
    (entrypoint,) = args_of(runtime, "ENTRYPOINT")
    (command,) = args_of(runtime, "CMD")

    assert json.loads(entrypoint) == ["quorum"]
    assert json.loads(command) == ["api"]
    assert args_of(runtime, "EXPOSE") == ["8000"]


def test_dockerignore_keeps_venv_git_caches_var_and_secrets_out() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    for wanted in (".venv", ".git", ".cache", ".mypy_cache", ".ruff_cache", ".pytest_cache"):
        assert wanted in patterns
    for wanted in ("**/__pycache__", ".hypothesis", ".coverage", "var", "dist", ".env"):
        assert wanted in patterns
    assert not {"libs", "apps", "benchmarks", "tools", "poetry.lock"} & patterns


# --------------------------------------------------------------------------- CI workflow


def test_ci_runs_on_push_and_pull_request(workflow: dict[Any, Any]) -> None:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))

    assert isinstance(triggers, dict)
    assert {"push", "pull_request"} <= set(triggers)


def test_ci_runs_make_test_with_ci_true_on_ubuntu_and_python_312(
    workflow: dict[Any, Any],
) -> None:
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    make_test = next(step for step in steps if step.get("run", "").strip() == "make test")
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))

    assert job["runs-on"] == "ubuntu-latest"
    assert str(python["with"]["python-version"]) == "3.12"
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in steps)
    assert {**job.get("env", {}), **make_test.get("env", {})}["CI"] == "true"
    assert runs.index("make test") > runs.index(next(r for r in runs if "redis-server" in r))


def test_ci_preinstalls_redis_and_postgresql_with_sudo(workflow: dict[Any, Any]) -> None:
    (job,) = workflow["jobs"].values()
    (install,) = [step["run"] for step in job["steps"] if "apt-get install" in step.get("run", "")]

    assert "sudo apt-get update" in install
    assert re.search(r"sudo .*apt-get install", install)
    assert "redis-server" in install
    assert "postgresql" in install


def test_ci_caches_poetry_and_venv_keyed_on_the_lock(workflow: dict[Any, Any]) -> None:
    (job,) = workflow["jobs"].values()
    (cache,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/cache@")]

    paths = cache["with"]["path"].split()
    assert paths == ["~/.local/share/quorum/poetry", ".venv"]
    assert "hashFiles('poetry.lock')" in cache["with"]["key"]
    assert "steps.python.outputs.python-version" in cache["with"]["key"]


# --------------------------------------------------------------------------- commit hooks


def test_precommit_runs_ruff_check_and_format_at_the_locked_ruff_version(
    hooks: dict[str, dict[str, Any]],
) -> None:
    for hook_id in ("ruff-check", "ruff-format"):
        assert hooks[hook_id]["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
        assert hooks[hook_id]["rev"] == f"v{locked_version('ruff')}"


def test_precommit_runs_mypy_from_the_project_venv(hooks: dict[str, dict[str, Any]]) -> None:
    mypy = hooks["mypy"]

    assert mypy["repo"] == "local"
    assert mypy["entry"] == ".venv/bin/mypy"
    assert mypy["pass_filenames"] is False


def test_precommit_runs_detect_secrets_against_the_baseline(
    hooks: dict[str, dict[str, Any]],
) -> None:
    hook = hooks["detect-secrets"]

    assert hook["repo"] == "https://github.com/Yelp/detect-secrets"
    assert hook["rev"] == f"v{locked_version('detect-secrets')}"
    assert hook["args"] == ["--baseline", ".secrets.baseline"]
    assert (ROOT / ".secrets.baseline").is_file()


def test_precommit_config_passes_pre_commits_own_validation() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
