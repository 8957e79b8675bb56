"""Run Poetry with its PyPI repository reading the HTML simple index (PEP 503).

Why this exists: Poetry's PyPI client lists versions through the PEP 691 JSON
index and reads release metadata from the per-release JSON endpoint. The package
proxy on our build machines serves only the HTML index and answers the
per-release JSON with 404, so a plain ``poetry lock`` / ``poetry install`` fails
(``JSONDecodeError`` or "Unable to find installation candidates").

The shim gives Poetry's PyPI repository the behaviour of Poetry's own HTML
("legacy") repository class: versions and file links come from the HTML index,
dependencies from the wheels' metadata. The packages keep PyPI as their source,
so ``poetry.lock`` is identical to one made against the real index. Everything
else is Poetry. The Makefile runs every Poetry command through this file.
"""

from __future__ import annotations

import sys
from typing import Any


def _install_shim() -> None:
    from poetry.repositories.exceptions import PackageNotFoundError
    from poetry.repositories.legacy_repository import LegacyRepository
    from poetry.repositories.link_sources.html import HTMLPage
    from poetry.repositories.pypi_repository import PyPiRepository

    def _get_page(self: Any, name: str) -> HTMLPage:
        url = self._url.rstrip("/") + f"/{name}/"
        response = self.session.get(url, raise_for_status=False, headers={"Accept": "text/html"})
        if response.status_code != 200:
            raise PackageNotFoundError(f"Package [{name}] not found.")
        return HTMLPage(response.url, response.text)

    PyPiRepository._get_page = _get_page  # type: ignore[method-assign]
    PyPiRepository.find_links_for_package = LegacyRepository.find_links_for_package  # type: ignore[method-assign]
    PyPiRepository._get_release_info = LegacyRepository._get_release_info  # type: ignore[method-assign]


def main() -> int:
    _install_shim()
    from poetry.console.application import main as poetry_main

    return int(poetry_main())


if __name__ == "__main__":
    sys.exit(main())
