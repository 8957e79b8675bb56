"""Write (or check) the committed OpenAPI schema, ``docs/openapi.json``.

.venv/bin/python -m apps.api.openapi          # regenerate docs/openapi.json
.venv/bin/python -m apps.api.openapi --check  # exit 1 when it is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = ".venv/bin/python -m apps.api.openapi"


def schema() -> dict[str, Any]:
    """The schema of the app's routes (nothing is started: no database, no lifespan)."""
    from apps.api.app import create_app
    from quorum.config import AppSettings

    return create_app(settings=AppSettings()).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render(schema())
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale; regenerate it with `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
