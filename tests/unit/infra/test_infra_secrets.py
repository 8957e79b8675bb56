"""No secrets in the source tree: detect-secrets over every source directory, on disk.

The commit hook sees only staged files; this test scans the working tree (tracked or not)
with the plugins and filters recorded in .secrets.baseline, so `make test` catches a
credential before anyone stages it. A finding passes only if the baseline records it as
audited and not a secret (``is_secret: false``); prefer an inline
``# pragma: allowlist secret`` on the line itself. Secret *references* (``env:NAME``,
``vault:<path>#<key>``, see ``quorum.config.settings.refs``) are excluded by the baseline's
``--exclude-secrets`` pattern: they say where a secret lives, never what it is.

Recorded HTTP fixtures (``tests/cassettes``) are not scanned: they hold fake keys on
purpose, and the cassette recorder is responsible for scrubbing real ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

ROOT = Path(__file__).resolve().parents[3]
BASELINE = ROOT / ".secrets.baseline"
SCANNED = (
    "libs",
    "apps",
    "benchmarks",
    "tools",
    "config",
    "infra",
    "ops",
    "docs",
    "tests",
    ".github",
    "Makefile",
    "Dockerfile",
    "pyproject.toml",
    "README.md",
)
NOT_SCANNED = (ROOT / "tests" / "cassettes",)
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}

Finding = tuple[str, str, int]


def load_baseline() -> dict[str, Any]:
    loaded = json.loads(BASELINE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def source_files() -> Iterator[str]:
    """Paths relative to the repository root, as the commit hook would name them."""
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for candidate in candidates:
            if not candidate.is_file() or SKIPPED_DIRS & set(candidate.parts):
                continue
            if any(candidate.is_relative_to(excluded) for excluded in NOT_SCANNED):
                continue
            yield candidate.relative_to(ROOT).as_posix()


def scan(files: Iterable[str], baseline: dict[str, Any]) -> list[tuple[str, Any]]:
    settings = {key: baseline[key] for key in ("plugins_used", "filters_used")}
    collection = SecretsCollection()
    with transient_settings(settings):
        for name in files:
            collection.scan_file(name)
    return list(collection)


def audited_false_positives(baseline: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (filename, item["type"], item["hashed_secret"])
        for filename, items in baseline["results"].items()
        for item in items
        if item.get("is_secret") is False
    }


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Filenames stay relative, exactly as the hook sees them (the file filters match on them).
    monkeypatch.chdir(ROOT)


@pytest.mark.usefixtures("at_root")
def test_source_tree_has_no_secrets_beyond_audited_false_positives() -> None:
    baseline = load_baseline()
    files = list(source_files())
    allowed = audited_false_positives(baseline)

    findings: list[Finding] = [
        (filename, secret.type, secret.line_number)
        for filename, secret in scan(files, baseline)
        if (filename, secret.type, secret.secret_hash) not in allowed
    ]

    assert len(files) > 10, "the scan found almost nothing to scan"
    assert findings == [], (
        "possible secrets (file:line detector):\n"
        + "\n".join(f"  {name}:{line}  {kind}" for name, kind, line in findings)
        + "\nA real secret: remove it and rotate it. A fake one: end its line with"
        " `# pragma: allowlist secret`, or record it with `detect-secrets scan --baseline"
        " .secrets.baseline --all-files` and mark it with `detect-secrets audit .secrets.baseline`."
    )


@pytest.mark.usefixtures("at_root")
def test_scan_flags_a_credential_planted_in_a_file(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    # Built at run time so this source line itself is not a finding.
    planted.write_text('url = "postgresql://trader:' + "Zq7-correct-horse" + '@db/quorum"\n')

    findings = scan([str(planted)], load_baseline())

    assert [secret.type for _, secret in findings] == ["Basic Auth Credentials"]


def test_baseline_holds_only_findings_audited_as_not_secret() -> None:
    baseline = load_baseline()

    unaudited = [
        f"{filename}:{item['line_number']} {item['type']}"
        for filename, items in baseline["results"].items()
        for item in items
        if item.get("is_secret") is not False
    ]

    assert unaudited == []


def baseline_pattern(filter_name: str) -> re.Pattern[str]:
    (entry,) = [
        entry
        for entry in load_baseline()["filters_used"]
        if entry["path"] == f"detect_secrets.filters.regex.{filter_name}"
    ]
    (pattern,) = entry["pattern"]
    return re.compile(pattern)


def test_baseline_excludes_venv_git_caches_and_the_lock_but_not_github_files() -> None:
    excluded = baseline_pattern("should_exclude_file")

    for path in (".venv/lib/site.py", ".git/config", ".cache/numba/x", "poetry.lock"):
        assert excluded.search(path), path
    for path in (".github/workflows/ci.yml", ".gitignore", "libs/quorum/clock.py", "Dockerfile"):
        assert not excluded.search(path), path


def test_baseline_ignores_secret_references_but_not_values_that_look_like_them() -> None:
    excluded = baseline_pattern("should_exclude_secret")

    for reference in ("env:BINANCE_KEY", "vault:trading/binance#api_secret"):
        assert excluded.search(reference), reference
    for value in ("env:BINANCE_KEY extra", "Zq7-correct-horse", "vault:no-key", "xenv:A"):
        assert not excluded.search(value), value
