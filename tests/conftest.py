"""Shared fixtures: renders are cached per session so each case renders once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import system_tools
from tests.rendering import render_cookiecutter, render_copier


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop before any test runs, with one line, if a system tool the tests call is missing."""
    del session  # the hook's signature; the check is about this machine
    if lacking := system_tools.missing():
        # a usage error prints as one "ERROR: ..." line (pytest.exit would print it twice)
        raise pytest.UsageError(system_tools.problem(lacking))


class RenderCache:
    """Render each (engine, answers) case once per test session."""

    def __init__(self, base: Path, cookies: Any) -> None:
        """Keep renders under ``base``; ``cookies`` is pytest-cookies' session fixture."""
        self._base = base
        self._cookies = cookies
        self._done: dict[tuple[str, tuple[tuple[str, str], ...]], Path] = {}

    def get(self, engine: str, answers: dict[str, str]) -> Path:
        """Return the rendered project folder for ``answers`` with ``engine``."""
        key = (engine, tuple(sorted(answers.items())))
        if key not in self._done:
            if engine == "copier":
                dst = self._base / f"copier-{len(self._done)}"
                self._done[key] = render_copier(dst, answers)
            elif engine == "cookiecutter":
                self._done[key] = render_cookiecutter(self._cookies, answers)
            else:
                raise ValueError(engine)
        return self._done[key]


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory, cookies_session: Any) -> RenderCache:
    """Session-wide cache of rendered projects."""
    return RenderCache(tmp_path_factory.mktemp("renders"), cookies_session)
