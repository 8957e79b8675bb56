"""`quorum run` as `make run` runs it, observed: the metrics its process exported
(Prometheus multiprocess files) and the full trace of one decision across tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import typer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner

from quorum.telemetry.tracing import configure_tracing

QUORUM = Path(sys.executable).with_name("quorum")
STEPS = "48"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUORUM_", "OTEL_"))}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    return {**env, **extra}


def _samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_quorum_run_exports_trading_llm_and_pipeline_metrics(tmp_path: Path) -> None:
    files = tmp_path / "metrics"
    files.mkdir()
    env = _env(PROMETHEUS_MULTIPROC_DIR=str(files))
    done = subprocess.run(
        [str(QUORUM), "run", "--json", "--steps", STEPS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    reader = (
        "from prometheus_client import generate_latest\n"
        "from quorum.telemetry.metrics import exposition_registry\n"
        "print(generate_latest(exposition_registry()).decode())\n"
    )
    text = subprocess.run(
        [sys.executable, "-c", reader], env=env, capture_output=True, text=True, check=True
    ).stdout
    s = _samples(text)

    def total(prefix: str) -> float:
        return sum(v for k, v in s.items() if k.startswith(prefix))

    assert total("quorum_scans_total{") == summary["bars_scanned"]
    for tf in ("15m", "1h", "4h", "1d"):
        assert s[f'quorum_scan_duration_seconds_count{{timeframe="{tf}"}}'] == summary["scans"][tf]
    analyses = sum(summary["analyses"].values())
    assert total("quorum_signals_total{") == analyses
    assert total('quorum_signals_total{decision="approved"') == summary["verdicts"]["approved"]
    assert s["quorum_analysis_duration_seconds_count"] == analyses
    assert total("quorum_fills_total{") >= 1
    assert total("quorum_execution_submit_ack_seconds_count{") == summary["orders"]["total"]
    assert total("quorum_llm_calls_total{") > 0
    assert total("quorum_llm_tokens_total{") > 0
    assert total("quorum_llm_latency_seconds_count{") == total("quorum_llm_calls_total{")
    assert s["quorum_journal_verify_ok"] == 1.0
    assert s['quorum_journal_verifications_total{result="ok"}'] == 1.0
    assert s["quorum_journal_appends_total"] >= summary["journal"]["appended"]
    assert s["quorum_equity_usd"] == pytest.approx(float(summary["equity"]), rel=1e-6)
    assert s["quorum_safe_mode"] == (0.0 if summary["end_state"]["safe_mode"] is None else 1.0)
    assert s["quorum_open_positions"] == 0.0
    assert s["quorum_kill_switch_engaged"] == 0.0
    closed = summary["wins"] + summary["losses"]
    assert s['quorum_trades_in_window{window="30d"}'] == closed
    assert s['quorum_win_rate{window="30d"}'] == pytest.approx(summary["wins"] / closed)
    for name in ("quorum_expectancy_r", "quorum_sharpe_ratio", "quorum_mar_ratio"):
        assert f'{name}{{window="7d"}}' in s
    assert any(k.startswith('quorum_hit_rate{kind="analyst"') for k in s)
    assert 'quorum_drawdown_ratio{period="day"}' in s
    assert "order" not in "".join(k for k in s if "client" in k)  # no order ids as labels


def _tree(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    by_trace: dict[int, list[ReadableSpan]] = defaultdict(list)
    for item in spans:
        by_trace[item.context.trace_id].append(item)
    return by_trace


def test_one_trace_holds_a_decision_from_scan_to_execution_across_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.cli.commands.run import run

    exporter = InMemorySpanExporter()
    configure_tracing("quorum-test", processor=SimpleSpanProcessor(exporter))
    for key in [k for k in os.environ if k.startswith(("QUORUM_", "OTEL_"))]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    app.command()(run)
    result = CliRunner().invoke(app, ["--json", "--steps", STEPS])
    assert result.exit_code == 0, result.output[-3000:]
    traces = _tree(exporter.get_finished_spans())
    executed = [
        spans
        for spans in traces.values()
        if {"quorum.scan", "quorum.analyze", "quorum.execute"} <= {s.name for s in spans}
    ]
    assert executed, "no trace runs from a scan to an execution"
    spans = {s.name: s for s in executed[0]}
    for name in (
        "quorum.agents",
        "llm.complete",
        "quorum.risk.evaluate",
        "quorum.commit",
        "quorum.execution.submit",
    ):
        assert name in spans, name
    scan = spans["quorum.scan"]
    assert scan.parent is None
    ids = {s.context.span_id: s for s in executed[0]}

    def ancestors(item: ReadableSpan) -> list[str]:
        names = []
        while item.parent is not None and item.parent.span_id in ids:
            item = ids[item.parent.span_id]
            names.append(item.name)
        return names

    assert ancestors(spans["quorum.analyze"])[-1] == "quorum.scan"
    assert "quorum.analyze" in ancestors(spans["quorum.execute"])
    assert ancestors(spans["llm.complete"])[:2] == ["quorum.agents", "quorum.analyze"]
    assert "quorum.execute" in ancestors(spans["quorum.execution.submit"])
    llm = spans["llm.complete"].attributes or {}
    assert llm["gen_ai.request.model"] == "offline"
    assert int(str(llm["gen_ai.usage.input_tokens"])) > 0
    assert "quorum.llm.cost_usd" in llm
    scans = [s for s in exporter.get_finished_spans() if s.name == "quorum.scan"]
    assert len({s.context.trace_id for s in scans}) == len(scans)  # one trace per decision
