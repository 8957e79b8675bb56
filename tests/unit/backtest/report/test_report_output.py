"""report.json and report.html: content, determinism, leakage warning, no external resources."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.unit.backtest.report.report_kit import T0, day, result, rich_result

from quorum.backtest.report import build_report, canonical_json, render_report, write_report
from quorum.backtest.results import LeakageFlag

_URL = re.compile(r"https?://", re.IGNORECASE)


class _Resources(HTMLParser):
    """Every tag and every attribute that carries an http(s) URL."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.url_attributes: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if value and _URL.search(value):
                self.url_attributes.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def _parse(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


def test_json_report_holds_every_section_with_hand_computed_numbers() -> None:
    doc = build_report(rich_result())
    assert doc["trades"]["win_rate"] == 0.5
    assert doc["trades"]["profit_factor"] == 3.0
    assert doc["trades"]["avg_holding_seconds"] == 1.5 * 86_400
    assert doc["returns"]["total_return"] == 0.02
    assert doc["risk"]["max_drawdown"] == "10.00000000"
    assert doc["risk"]["max_consecutive_losses"] == 2
    assert doc["risk"]["max_consecutive_losses_cost"] == "-10.00000000"
    assert doc["calibration"]["brier"] == 0.125
    assert doc["llm"]["cache_hit_rate"] == 0.25
    # the calls of the analyses that opened the trades, not total spend / closed trades
    assert doc["llm"]["spend_per_trade_usd"] == "0.40000000"
    assert doc["baseline"]["returns"]["total_return"] == 0.1
    assert doc["baseline"]["excess_total_return"] == -0.08
    assert {r["label"] for r in doc["hit_rates"]["models"]} == {"gpt-x", "claude-y"}
    assert len(doc["trade_list"]) == 4


def test_json_report_flags_leakage_naming_the_contaminated_model() -> None:
    leak = build_report(rich_result())["leakage"]
    assert leak["contaminated"] is True
    assert "gpt-x" in leak["warning"]
    assert "claude-y" not in leak["warning"]
    clean = build_report(result())["leakage"]
    assert clean == {"contaminated": False, "warning": None, "models": []}


def test_same_result_gives_identical_bytes_and_hash(tmp_path: Path) -> None:
    first = write_report(rich_result(), tmp_path / "a")
    second = write_report(rich_result(), tmp_path / "b")
    assert first.content_hash == second.content_hash
    assert first.json.read_bytes() == second.json.read_bytes()
    assert first.html.read_bytes() == second.html.read_bytes()
    assert first.json.name == "report.json"
    assert first.html.name == "report.html"


def test_content_hash_changes_when_the_result_changes() -> None:
    base = render_report(rich_result())[2]
    other = render_report(rich_result().model_copy(update={"seed": 8}))[2]
    assert base != other


def test_json_file_is_the_canonical_document(tmp_path: Path) -> None:
    paths = write_report(rich_result(), tmp_path)
    data = paths.json.read_bytes()
    assert data == canonical_json(json.loads(data))
    assert "NaN" not in data.decode()
    assert "Infinity" not in data.decode()


def test_html_loads_nothing_from_the_network() -> None:
    html = render_report(rich_result())[1].decode()
    parsed = _parse(html)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    # the only URLs are XML namespace names of the inline SVGs, which load nothing
    assert {name for _, name, _ in parsed.url_attributes} <= {"xmlns", "xmlns:xlink"}
    assert parsed.tags.count("svg") >= 3
    for css in parsed.styles:
        assert "url(" not in css
        assert "@import" not in css


def test_html_shows_the_leakage_warning_before_anything_else() -> None:
    html = render_report(rich_result())[1].decode()
    body = html[html.index("<body>") :]
    warning = body.index('id="leakage-warning"')
    assert warning < body.index("<h1>")
    assert warning < body.index("<svg")
    assert "gpt-x" in body[warning : body.index("</div>", warning)]


def test_html_without_leakage_says_so_and_has_no_warning() -> None:
    html = render_report(result())[1].decode()
    assert 'id="leakage-warning"' not in html
    assert 'id="leakage-ok"' in html


def test_html_escapes_text_from_the_result() -> None:
    html = render_report(result(run_id="<b>x</b>", warnings=("<script>",)))[1].decode()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_empty_run_still_renders_both_files(tmp_path: Path) -> None:
    paths = write_report(result(), tmp_path)
    doc = json.loads(paths.json.read_text())
    assert doc["trades"]["closed"] == 0
    assert doc["returns"]["total_return"] == 0.0
    assert "no signals with outcomes" in paths.html.read_text()


def test_contaminated_flag_is_the_engine_verdict_shown_as_given() -> None:
    flag = LeakageFlag(model="m", training_cutoff=day(-1), window_start=T0, contaminated=True)
    assert build_report(result(leakage=(flag,)))["leakage"]["contaminated"] is True


@pytest.mark.parametrize("name", ["report.json", "report.html"])
def test_write_report_replaces_existing_files(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("old")
    write_report(rich_result(), tmp_path)
    assert (tmp_path / name).read_text() != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json"]
