"""The prefork parent (``worker_init``) leaves every pool process ready to scan (#22 item 5):
the heavy modules imported, the numba kernels loaded from the cache (a first scan would
otherwise load or compile them itself) and start-up frozen, so neither the children's
collector passes nor their copy-on-write touch it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

CODE = """
import gc, json
start = gc.get_freeze_count()
from celery.signals import worker_init
from apps.worker.factory import create_app
app = create_app()
worker_init.send(sender=None)
from quorum.analysis import _indicator_kernels as k
print(json.dumps({
    "compiled": sorted(n for n in ("ema", "atr", "bollinger", "first_bad_row")
                       if getattr(k, n).signatures),
    "frozen": gc.get_freeze_count() - start,
    "collecting": gc.isenabled(),
}))
"""


def test_worker_init_loads_the_kernels_and_freezes_start_up(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'libs'}",
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba")),
        "QUORUM_BROKER_URL": "redis://127.0.0.1:9/0",  # configured, never connected to here
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    result = subprocess.run(
        [sys.executable, "-c", CODE], env=env, cwd=tmp_path, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["compiled"] == ["atr", "bollinger", "ema", "first_bad_row"]
    assert report["frozen"] > 100_000
    assert report["collecting"] is True
