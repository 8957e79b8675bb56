"""Dependency audit gate: pip-audit over every package pinned in poetry.lock.

pip-audit alone is not a gate we can trust: when its vulnerability service does not know
a package (or cannot be reached), it *skips* the package and still prints "No known
vulnerabilities found" with exit 0. This wrapper reads pip-audit's JSON report and decides:

- a known vulnerability that is not waived            -> exit 1
- a waiver without a reason or past its expiry date   -> exit 1 (waivers are temporary)
- some packages audited but others skipped            -> exit 1 (a partial audit is no audit)
- nothing could be audited (no vulnerability service) -> "UNVERIFIED" on stderr; exit 1 when
  QUORUM_AUDIT_REQUIRED=1 (set in the GitHub workflow, which has network), else exit 0 so an
  offline machine can still run `make test` — the message says plainly that no audit happened.

Waivers live in tools/audit-waivers.toml, one [[waiver]] table each:
id (advisory id or alias), package, reason, expires (a TOML date), approved_by.

Usage: tools/audit.py [--report PIP_AUDIT_JSON] [--waivers FILE] [--lock FILE]
(--report evaluates an existing report instead of running pip-audit; the tests use it.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Waiver:
    id: str
    package: str
    reason: str
    expires: dt.date
    approved_by: str


@dataclass
class Verdict:
    failures: list[str]
    notes: list[str]
    unverified: bool


def load_waivers(path: Path, today: dt.date) -> tuple[list[Waiver], list[str]]:
    """Parse the waiver file; return the waivers and the problems with them."""
    if not path.exists():
        return [], []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"waiver"}
    problems = [f"{path.name}: unknown top-level key(s) {sorted(unknown)}"] if unknown else []
    waivers: list[Waiver] = []
    for index, raw in enumerate(data.get("waiver", [])):
        where = f"{path.name}: waiver[{index}]"
        missing = [
            k for k in ("id", "package", "reason", "expires", "approved_by") if not raw.get(k)
        ]
        if missing:
            problems.append(f"{where}: missing or empty {missing}; every waiver needs them all")
            continue
        expires = raw["expires"]
        if not isinstance(expires, dt.date):
            problems.append(f"{where}.expires: expected a TOML date (YYYY-MM-DD), got {expires!r}")
            continue
        if expires < today:
            problems.append(f"{where}: {raw['id']} expired on {expires}; re-assess or upgrade")
        waivers.append(
            Waiver(raw["id"], raw["package"].lower(), raw["reason"], expires, raw["approved_by"])
        )
    return waivers, problems


def judge(report: dict[str, Any], waivers: list[Waiver]) -> Verdict:
    """Decide the gate from a pip-audit JSON report (format: pip-audit -f json)."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if "skip_reason" in d]
    audited = [d for d in deps if "skip_reason" not in d]
    failures: list[str] = []
    notes: list[str] = []
    if deps and not audited:
        return Verdict([], [f"all {len(deps)} packages skipped: {skipped[0]['skip_reason']}"], True)
    for dep in skipped:
        failures.append(f"{dep['name']}: not audited ({dep['skip_reason']})")
    used: set[str] = set()
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            waiver = next(
                (w for w in waivers if w.id in ids and w.package == dep["name"].lower()), None
            )
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none"
            label = f"{dep['name']} {dep['version']}: {vuln['id']} (fix: {fixes})"
            if waiver is None:
                failures.append(label)
            else:
                used.add(waiver.id)
                notes.append(f"waived until {waiver.expires}: {label}: {waiver.reason}")
    notes += [
        f"waiver {w.id} ({w.package}) matches no finding; remove it"
        for w in waivers
        if w.id not in used
    ]
    return Verdict(failures, notes, False)


def locked_requirements(lock: Path) -> str:
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return "".join(f"{p['name']}=={p['version']}\n" for p in data["package"])


def run_pip_audit(lock: Path) -> tuple[dict[str, Any] | None, str]:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text(locked_requirements(lock), encoding="utf-8")
        out = Path(tmp, "report.json")
        cmd = [str(pip_audit), "-r", str(req), "--no-deps", "--disable-pip", "-f", "json"]
        cmd += ["--progress-spinner", "off", "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
        if not out.exists() or not out.read_text(encoding="utf-8").strip():
            return None, proc.stderr.strip().splitlines()[
                -1
            ] if proc.stderr.strip() else f"exit {proc.returncode}"
        return json.loads(out.read_text(encoding="utf-8")), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="evaluate this pip-audit JSON report")
    parser.add_argument("--waivers", type=Path, default=ROOT / "tools" / "audit-waivers.toml")
    parser.add_argument("--lock", type=Path, default=ROOT / "poetry.lock")
    parser.add_argument("--today", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    today = args.today or dt.datetime.now(dt.UTC).date()
    waivers, problems = load_waivers(args.waivers, today)
    if args.report:
        report: dict[str, Any] | None = json.loads(args.report.read_text(encoding="utf-8"))
        error = ""
    else:
        report, error = run_pip_audit(args.lock)
    verdict = judge(report, waivers) if report is not None else Verdict([], [error], True)
    verdict.failures[:0] = problems
    for note in verdict.notes:
        print(f"audit: {note}", file=sys.stderr)
    for failure in verdict.failures:
        print(f"audit: FAIL {failure}", file=sys.stderr)
    if verdict.failures:
        return 1
    if verdict.unverified:
        required = os.environ.get("QUORUM_AUDIT_REQUIRED") == "1"
        print(
            "audit: UNVERIFIED: the vulnerability service gave no data for any locked package, "
            "so NO audit happened"
            + (
                "; QUORUM_AUDIT_REQUIRED=1 makes that a failure"
                if required
                else " (offline machine)"
            ),
            file=sys.stderr,
        )
        return 1 if required else 0
    count = len(report.get("dependencies", [])) if report else 0
    print(f"audit: {count} locked packages audited, no unwaived findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
