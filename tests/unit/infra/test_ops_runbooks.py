"""Every runbook has the five parts operators look for, names files that exist, and names
only alert rules that exist; every alert rule points at a runbook that names it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
RUNBOOKS = ROOT / "ops" / "runbooks"
RULE_FILES = sorted((ROOT / "infra" / "prometheus" / "rules").glob("*.yml"))
SECTIONS = ("## Symptoms", "## Alert", "## Commands", "## Verify", "## Rollback")
OURS = (
    "deploy-bluegreen.md", "paper-live-flip.md", "kill-switch.md", "safe-mode.md",
    "llm-provider-outage.md", "exchange-outage.md", "redis-loss.md",
    "journal-verification-failure.md", "secret-rotation.md", "database-backup-restore.md",
    "workers.md",
)  # fmt: skip
# A backticked CamelCase word (`QuorumCircuitOpen`, `RedisRejectingWrites`): an alert name.
BACKTICKED_ALERT = re.compile(r"`([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)`")
QUORUM_ALERT = re.compile(r"\bQuorum[A-Z]\w*")


@pytest.mark.parametrize("name", OURS)
def test_runbook_has_symptoms_alert_commands_verify_and_rollback_in_order(name: str) -> None:
    text = (RUNBOOKS / name).read_text()

    positions = [text.find(f"\n{section}\n") for section in SECTIONS]

    assert -1 not in positions, (
        f"{name}: missing {[s for s, p in zip(SECTIONS, positions, strict=True) if p < 0]}"
    )
    assert positions == sorted(positions), f"{name}: sections out of order"
    assert "```bash" in text, f"{name}: no commands to run"


@pytest.mark.parametrize("name", OURS)
def test_repository_paths_a_runbook_names_exist(name: str) -> None:
    text = (RUNBOOKS / name).read_text()
    named = set(re.findall(r"`((?:ops|infra|libs|tests)/[\w./-]+)`", text))

    missing = sorted(p for p in named if not (ROOT / p).exists())

    assert missing == []


def test_every_runbook_page_is_checked() -> None:
    pages = {p.name for p in RUNBOOKS.glob("*.md")} - {"README.md"}

    assert pages == set(OURS)


def test_the_index_lists_every_runbook() -> None:
    index = (RUNBOOKS / "README.md").read_text()

    assert all(f"]({name})" in index for name in OURS)


def test_the_paper_to_live_runbook_confirms_before_flipping_the_mode() -> None:
    text = (RUNBOOKS / "paper-live-flip.md").read_text()

    confirm = text.index("quorum flags set trading.live_confirm true")
    live = text.index("quorum flags set trading.mode live")
    assert confirm < live


# --------------------------------------------------------------------------- alert names


def alert_rules() -> dict[str, str]:
    """Alert name -> its ``runbook`` annotation, from every rule file."""
    rules: dict[str, str] = {}
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules[rule["alert"]] = rule.get("annotations", {}).get("runbook", "")
    return rules


def alert_section(text: str) -> str:
    start = text.index("\n## Alert\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def named_alerts(text: str) -> set[str]:
    """Alert names a runbook uses: backticked CamelCase words in its Alert part, and any
    ``Quorum…`` CamelCase word anywhere."""
    return set(BACKTICKED_ALERT.findall(alert_section(text))) | set(QUORUM_ALERT.findall(text))


def test_rule_files_define_alerts_with_unique_names() -> None:
    names = [
        rule["alert"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]

    assert len(names) >= 10
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", OURS)
def test_every_alert_a_runbook_names_exists_in_the_rule_files(name: str) -> None:
    unknown = named_alerts((RUNBOOKS / name).read_text()) - set(alert_rules())

    assert unknown == set(), f"{name} names alerts that no rule defines"


@pytest.mark.parametrize("name", OURS)
def test_a_runbook_without_an_alert_rule_says_so_plainly(name: str) -> None:
    section = alert_section((RUNBOOKS / name).read_text())

    assert named_alerts(section) & set(alert_rules()) or "no alert" in section.lower(), name


def test_every_alert_rule_points_at_a_runbook_whose_alert_part_names_it() -> None:
    problems = []
    for alert, runbook in sorted(alert_rules().items()):
        path = ROOT / runbook
        if not runbook.startswith("ops/runbooks/") or not path.is_file():
            problems.append(f"{alert}: runbook annotation {runbook!r} is not a runbook")
        elif alert not in named_alerts(alert_section(path.read_text())):
            problems.append(f"{alert}: {runbook} does not name it in its Alert part")

    assert problems == []


def test_every_alert_rule_is_named_by_some_runbook() -> None:
    named = set().union(*(named_alerts((RUNBOOKS / n).read_text()) for n in OURS))

    assert set(alert_rules()) - named == set()


def test_the_cross_check_catches_a_stale_name_and_an_unnamed_rule() -> None:
    page = (
        "# x\n\n## Symptoms\n\ns\n\n## Alert\n\n`QuorumBackupMissing`, "
        "`RedisRejectingWrites`, `QuorumCircuitOpen`.\n\n## Commands\n\n`MarketDataUnavailable`\n"
    )
    rules = {"QuorumCircuitOpen": "ops/runbooks/x.md", "QuorumNoScans": "ops/runbooks/x.md"}

    named = named_alerts(page)

    assert named - set(rules) == {"QuorumBackupMissing", "RedisRejectingWrites"}
    assert set(rules) - named == {"QuorumNoScans"}
