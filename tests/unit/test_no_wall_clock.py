"""Nothing in libs/ reads wall time except the clock module (replay must equal live)."""

from __future__ import annotations

import re
from pathlib import Path

LIBS = Path(__file__).resolve().parents[2] / "libs" / "quorum"
ALLOWED = {LIBS / "clock.py"}
WALL_CLOCK = re.compile(
    r"\b(datetime|date)\s*\.\s*(now|utcnow|today)\s*\(|\btime\s*\.\s*(time|time_ns)\s*\("
)


def test_only_the_clock_module_reads_wall_time() -> None:
    offenders = []
    for path in sorted(LIBS.rglob("*.py")):
        if path in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if WALL_CLOCK.search(line):
                offenders.append(f"{path.relative_to(LIBS.parent)}:{number}: {line.strip()}")
    assert offenders == [], "wall-clock reads outside quorum/clock.py:\n" + "\n".join(offenders)


def test_the_scanner_catches_each_forbidden_form() -> None:
    for line in (
        "x = datetime.now(UTC)",
        "x = datetime.utcnow()",
        "x = date.today()",
        "t = time.time()",
        "t = time.time_ns()",
    ):
        assert WALL_CLOCK.search(line), line
    assert not WALL_CLOCK.search("clock.now()")
    assert not WALL_CLOCK.search("time.monotonic()")
