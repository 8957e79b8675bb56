"""Dashboards and alert rules use only metrics the code registers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from apps.worker.metrics import QueueDepthCollector
from quorum.llm.metrics import LLMMetrics
from quorum.telemetry.metrics import QuorumMetrics

INFRA = Path(__file__).resolve().parents[3] / "infra"
DASHBOARDS = sorted((INFRA / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((INFRA / "prometheus" / "rules").glob("*.yml"))
NAME = re.compile(r"\bquorum_[a-z0-9_]+\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exported_names() -> set[str]:
    """Every sample name the code can expose (counters as ``_total``, histogram series)."""
    registry = CollectorRegistry()
    QuorumMetrics(registry)
    LLMMetrics(registry)
    names = {"quorum_celery_queue_depth"}  # QueueDepthCollector, read from Redis at scrape
    assert QueueDepthCollector.__name__
    for family in registry.collect():
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names.update(family.name + s for s in HISTOGRAM_SUFFIXES)
        else:
            names.add(family.name)
    return names


def dashboard_exprs(path: Path) -> list[str]:
    board = json.loads(path.read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def rule_exprs(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text())
    return [rule["expr"] for group in doc["groups"] for rule in group["rules"]]


def test_every_dashboard_query_uses_only_exported_metrics() -> None:
    exported = exported_names()
    assert len(DASHBOARDS) == 3
    unknown = {
        (path.name, name)
        for path in DASHBOARDS
        for expr in dashboard_exprs(path)
        for name in NAME.findall(expr)
        if name not in exported
    }
    assert unknown == set()


def test_every_alert_rule_uses_only_exported_metrics() -> None:
    exported = exported_names()
    exprs = [e for path in RULE_FILES for e in rule_exprs(path)]
    assert len(exprs) >= 10
    unknown = {name for expr in exprs for name in NAME.findall(expr) if name not in exported}
    assert unknown == set()


def test_the_cross_check_flags_a_metric_the_code_does_not_export() -> None:
    exported = exported_names()
    assert "quorum_scans_total" in exported
    assert "quorum_scan_duration_seconds_bucket" in exported
    assert "quorum_scan_duration_seconds" not in exported  # a histogram has no bare series
    assert set(NAME.findall("rate(quorum_scans_totl[5m])")) - exported == {"quorum_scans_totl"}


def test_dashboards_cover_the_issue_panels_and_use_the_provisioned_datasource() -> None:
    text = {p.stem: json.dumps(json.loads(p.read_text())) for p in DASHBOARDS}
    for panel_metric in (
        "quorum_pnl_realized_usd",
        "quorum_win_rate",
        "quorum_expectancy_r",
        "quorum_exposure_usd",
        "quorum_drawdown_ratio",
        "quorum_safe_mode",
    ):
        assert panel_metric in text["trading-overview"]
    for panel_metric in (
        "quorum_llm_spend_usd_total",
        "quorum_llm_budget_remaining_usd",
        "quorum_llm_cache_hits_total",
        "quorum_llm_latency_seconds_bucket",
        "quorum_llm_fallbacks_total",
    ):
        assert panel_metric in text["llm-spend-latency"]
    for panel_metric in (
        "quorum_scan_duration_seconds_bucket",
        "quorum_celery_queue_depth",
        "quorum_tasks_total",
        "quorum_journal_verify_ok",
    ):
        assert panel_metric in text["pipeline-health"]
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "quorum-prometheus", (path.name, panel["title"])


def test_alert_names_match_the_runbooks() -> None:
    runbooks = "\n".join(p.read_text() for p in (INFRA.parent / "ops" / "runbooks").glob("*.md"))
    alerts = {
        rule["alert"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    }
    for rule_path in RULE_FILES:
        for group in yaml.safe_load(rule_path.read_text())["groups"]:
            for rule in group["rules"]:
                assert (INFRA.parent / rule["annotations"]["runbook"]).is_file(), rule["alert"]
    named_in_runbooks = {a for a in alerts if a in runbooks}
    assert named_in_runbooks >= {
        "QuorumSafeModeTripped",
        "QuorumCircuitOpen",
        "QuorumJournalDamaged",
        "QuorumLLMLatencyHigh",
        "QuorumTaskFailures",
        "QuorumKillSwitchEngaged",
    }
