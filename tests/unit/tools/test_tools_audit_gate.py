"""The dependency audit gate (tools/audit.py) judges pip-audit's JSON report honestly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
AUDIT = ROOT / "tools" / "audit.py"


def _gate(
    tmp_path: Path, report: dict[str, object], waivers: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    waiver_path = tmp_path / "waivers.toml"
    waiver_path.write_text(waivers, encoding="utf-8")
    cmd = [sys.executable, str(AUDIT), "--report", str(report_path), "--waivers", str(waiver_path)]
    cmd += ["--today", "2026-11-21"]
    return subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={"PATH": "/usr/bin", **env}
    )


def _vuln(name: str = "jinja2", vid: str = "GHSA-aaaa-bbbb-cccc") -> dict[str, object]:
    return {
        "name": name,
        "version": "3.1.0",
        "vulns": [{"id": vid, "fix_versions": ["3.1.6"], "aliases": ["CVE-2025-1"]}],
    }


def _clean(name: str = "rich") -> dict[str, object]:
    return {"name": name, "version": "14.0.0", "vulns": []}


def _waiver(
    vid: str = "CVE-2025-1", expires: str = "2027-01-31", reason: str = "sandbox not used"
) -> str:
    return (
        f'[[waiver]]\nid = "{vid}"\npackage = "jinja2"\nreason = "{reason}"\n'
        f'approved_by = "lead"\nexpires = {expires}\n'
    )


def test_audit_gate_fails_on_unwaived_vulnerability_naming_package_and_fix(tmp_path: Path) -> None:
    result = _gate(tmp_path, {"dependencies": [_clean(), _vuln()]})
    assert result.returncode == 1
    assert "FAIL jinja2 3.1.0: GHSA-aaaa-bbbb-cccc (fix: 3.1.6)" in result.stderr


def test_audit_gate_passes_clean_report(tmp_path: Path) -> None:
    result = _gate(tmp_path, {"dependencies": [_clean(), _clean("typer")]})
    assert result.returncode == 0, result.stderr
    assert "2 locked packages audited" in result.stdout


def test_audit_gate_accepts_waiver_matched_by_alias_and_reports_it(tmp_path: Path) -> None:
    result = _gate(tmp_path, {"dependencies": [_vuln()]}, _waiver())
    assert result.returncode == 0, result.stderr
    assert "waived until 2027-01-31" in result.stderr
    assert "sandbox not used" in result.stderr


def test_audit_gate_fails_on_expired_waiver(tmp_path: Path) -> None:
    result = _gate(tmp_path, {"dependencies": [_vuln()]}, _waiver(expires="2026-11-01"))
    assert result.returncode == 1
    assert "expired on 2026-11-01" in result.stderr


def test_audit_gate_fails_on_waiver_without_reason(tmp_path: Path) -> None:
    result = _gate(tmp_path, {"dependencies": [_vuln()]}, _waiver(reason=""))
    assert result.returncode == 1
    assert "missing or empty ['reason']" in result.stderr


def test_audit_gate_fails_partial_audit_listing_skipped_package(tmp_path: Path) -> None:
    skipped = {
        "name": "numba",
        "skip_reason": "Dependency not found on PyPI and could not be audited",
    }
    result = _gate(tmp_path, {"dependencies": [_clean(), skipped]})
    assert result.returncode == 1
    assert "numba: not audited" in result.stderr


@pytest.mark.parametrize(("required", "code"), [("0", 0), ("1", 1)])
def test_audit_gate_says_unverified_when_nothing_could_be_audited(
    tmp_path: Path, required: str, code: int
) -> None:
    skipped = [
        {"name": n, "skip_reason": "Dependency not found on PyPI"} for n in ("rich", "typer")
    ]
    result = _gate(tmp_path, {"dependencies": skipped}, QUORUM_AUDIT_REQUIRED=required)
    assert result.returncode == code
    assert "UNVERIFIED" in result.stderr
    assert "NO audit happened" in result.stderr


def test_audit_gate_runs_in_make_test_and_is_required_in_the_github_workflow() -> None:
    assert "tools/audit.py" in (ROOT / "tools" / "test.sh").read_text(encoding="utf-8")
    assert 'QUORUM_AUDIT_REQUIRED: "1"' in (ROOT / ".github" / "workflows" / "ci.yml").read_text(
        encoding="utf-8"
    )
