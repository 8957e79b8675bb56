"""Hold each gated package of ``quorum`` at its own coverage floor.

Why a script and not ``fail_under`` in ``[tool.coverage.report]``: that setting judges the
total of everything measured, so a well-tested package can hide an untested one. This
reads the data file the ``make test`` pytest run wrote (``--cov``, configured in
``[tool.coverage]`` of pyproject.toml) and reports each gated package separately; any one
package below its floor, or not measured at all, fails the run. Percentages count lines
and branches (branch coverage is on), exactly as ``coverage report`` computes them.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import coverage
from coverage.exceptions import CoverageException, NoDataError

ROOT = Path(__file__).resolve().parents[1]
FAIL_UNDER = 90.0
# package -> its directory, relative to the repository root
GATED = {
    "quorum.risk": "libs/quorum/risk",
    "quorum.scoring": "libs/quorum/scoring",
    "quorum.execution": "libs/quorum/execution",
}


def _percent(cov: coverage.Coverage, pattern: str, detail: io.StringIO) -> float | str:
    """The covered percentage of the files matching ``pattern``, or why there is none."""
    try:
        return float(cov.report(include=[pattern], file=detail))
    except NoDataError:
        return "nothing measured"
    except CoverageException as exc:  # e.g. a measured file no longer on disk
        return f"no report ({exc})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", default=str(ROOT / ".coverage"))
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--fail-under", type=float, default=FAIL_UNDER)
    args = parser.parse_args(argv)

    root: Path = args.root.resolve()
    config = root / "pyproject.toml"
    cov = coverage.Coverage(
        data_file=args.data_file, config_file=str(config) if config.exists() else False
    )
    try:
        cov.load()
    except NoDataError:
        print(f"error: no coverage data in {args.data_file}", file=sys.stderr)
        return 1

    failed: list[str] = []
    for package, directory in GATED.items():
        detail = io.StringIO()
        percent = _percent(cov, str(root / directory / "*"), detail)
        if isinstance(percent, str):
            failed.append(package)
            print(f"FAIL {package}: {percent} under {directory}/", file=sys.stderr)
            continue
        if percent < args.fail_under:
            failed.append(package)
            print(
                f"FAIL {package}: {percent:.1f} % covered, below {args.fail_under:g} %; "
                f"files not fully covered:\n{detail.getvalue()}",
                file=sys.stderr,
            )
        else:
            print(f"ok   {package}: {percent:.1f} % (floor {args.fail_under:g} %)")
    if failed:
        print(f"error: coverage below the floor in {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
