"""Every runbook has the five parts operators look for, and names files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUNBOOKS = ROOT / "ops" / "runbooks"
SECTIONS = ("## Symptoms", "## Alert", "## Commands", "## Verify", "## Rollback")
OURS = (
    "deploy-bluegreen.md", "paper-live-flip.md", "kill-switch.md", "safe-mode.md",
    "llm-provider-outage.md", "exchange-outage.md", "redis-loss.md",
    "journal-verification-failure.md", "secret-rotation.md", "database-backup-restore.md",
)  # fmt: skip


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


def test_the_index_lists_every_runbook() -> None:
    index = (RUNBOOKS / "README.md").read_text()

    assert all(f"]({name})" in index for name in OURS)


def test_the_paper_to_live_runbook_confirms_before_flipping_the_mode() -> None:
    text = (RUNBOOKS / "paper-live-flip.md").read_text()

    confirm = text.index("quorum flags set trading.live_confirm true")
    live = text.index("quorum flags set trading.mode live")
    assert confirm < live
