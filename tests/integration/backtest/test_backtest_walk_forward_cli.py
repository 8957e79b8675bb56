"""`quorum backtest --walk-forward` end to end on synthetic bars with a rule strategy.

Two folds (train 2 d, test 1 d) of hourly bars, with a ``--risk-config`` override: the
summary and the report carry the per-fold table, every part has its own database, and
two runs of the same inputs give the same result hash. Refusals exit 2 naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import SQLModel
from typer.testing import CliRunner

from apps.cli.commands.backtest import backtest
from quorum.store.tables.journal import JOURNAL_TABLE_NAME

GATE = Path(__file__).resolve().parents[3] / "benchmarks" / "gate.yaml"
WINDOW = [
    "--symbols=BTC/USDT",
    "--timeframes=1h",
    "--llm=offline",
    "--strategy=ema-cross:5,20",
    "--start=2025-01-01T00:00:00Z",
    "--end=2025-01-05T00:00:00Z",
]
RISK = "account:\n  max_trades: null\ndrawdown:\n  loss_streak_count: 50\n"


def _app() -> Any:
    import typer

    app = typer.Typer()
    app.command()(backtest)
    return app


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(_app(), list(args))


def _summary(output: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(output[output.index("{") :])
    return data


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for name in ("a", "b"):
        root = tmp_path_factory.mktemp(name)
        (root / "risk.yaml").write_text(RISK)
        args = [*WINDOW, "--walk-forward", "2d:1d", "--risk-config", str(root / "risk.yaml")]
        result = _invoke(*args, "--report", str(root / "report"), "--json")
        assert result.exit_code == 0, result.output
        out.append((root, _summary(result.output)))
    return out


def test_summary_lists_two_folds_tested_on_consecutive_days(runs: Any) -> None:
    _, summary = runs[0]
    assert summary["walk_forward"] == "2d:1d:1d"
    assert [f["test"] for f in summary["folds"]] == [
        ["2025-01-03T00:00:00+00:00", "2025-01-04T00:00:00+00:00"],
        ["2025-01-04T00:00:00+00:00", "2025-01-05T00:00:00+00:00"],
    ]
    assert summary["trades"] == sum(f["trades"] for f in summary["folds"]) > 0


def test_every_part_ran_on_its_own_database(runs: Any) -> None:
    root, summary = runs[0]
    names = sorted(Path(p).name for p in summary["databases"])
    assert names == [f"run.f{i}-{part}.sqlite" for i in (1, 2) for part in ("test", "train")]
    for path in map(Path, summary["databases"]):
        assert path.is_file()
        assert path.parent == root / "report"


def test_report_has_the_per_fold_table(runs: Any) -> None:
    root, summary = runs[0]
    doc = json.loads((root / "report" / "report.json").read_text())
    folds = doc["walk_forward"]["folds"]
    assert [f["fold"] for f in folds] == [1, 2]
    assert [f["trades"] for f in folds] == [f["trades"] for f in summary["folds"]]
    assert doc["run"]["mode"] == "walk-forward"
    assert doc["run"]["start"] == "2025-01-03T00:00:00Z"
    assert len(doc["trade_list"]) == summary["trades"]
    html = (root / "report" / "report.html").read_text()
    assert 'id="walk-forward"' in html
    assert html.count(folds[1]["fitted"]["digest"][:12]) >= 1


def test_same_inputs_give_the_same_result_hash_and_fold_table(runs: Any) -> None:
    (root_a, a), (root_b, b) = runs
    assert a["result_hash"] == b["result_hash"]
    tables = [
        json.loads((root / "report" / "report.json").read_text())["walk_forward"]
        for root in (root_a, root_b)
    ]
    for table in tables:
        for fold in table["folds"]:
            del fold["train_run_id"], fold["test_run_id"]
    assert tables[0] == tables[1]


def test_risk_config_reaches_every_part(runs: Any) -> None:
    _, summary = runs[0]
    journal = SQLModel.metadata.tables[JOURNAL_TABLE_NAME]
    for path in summary["databases"]:
        with create_engine(f"sqlite:///{path}").connect() as conn:
            payloads = [json.loads(r[0]) for r in conn.execute(select(journal.c.payload))]
        (started,) = [p for p in payloads if p.get("event") == "started"]
        assert started["spec"]["risk"] == {
            "account": {"max_trades": None},
            "drawdown": {"loss_streak_count": 50},
        }


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("2d:5d", "walk_forward.test: is longer than the window"),
        ("3d:2d", "walk_forward.train: train 3d + test 2d does not fit"),
        ("2d:1d:12h", "walk_forward.step: must be at least the test length 1d"),
        ("2d", "walk_forward: expected TRAIN:TEST[:STEP]"),
    ],
)
def test_bad_walk_forward_is_refused_naming_the_field(
    tmp_path: Path, plan: str, message: str
) -> None:
    result = _invoke(*WINDOW, "--walk-forward", plan, "--db", str(tmp_path / "x.sqlite"))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_existing_fold_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.f2-test.sqlite").write_text("")
    result = _invoke(*WINDOW, "--walk-forward", "2d:1d", "--db", str(tmp_path / "x.sqlite"))
    assert result.exit_code == 2, result.output
    assert "x.f2-test.sqlite exists" in " ".join(result.output.split())


def test_risk_config_with_an_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "risk.yaml").write_text("account:\n  max_tradez: 3\n")
    result = _invoke(*WINDOW, "--risk-config", str(tmp_path / "risk.yaml"))
    assert result.exit_code == 2, result.output
    assert "risk.account.max_tradez: unknown key" in " ".join(result.output.split())


@pytest.mark.parametrize("extra", [["--walk-forward", "2d:1d"], ["--risk-config", "r.yaml"]])
def test_gate_runs_its_locked_window_only(extra: list[str]) -> None:
    result = _invoke("--gate", str(GATE), *extra)
    assert result.exit_code == 2, result.output
    assert "--gate: runs its locked window as written" in " ".join(result.output.split())
