"""Print a release's notes from the changelog; fail when the release is not ready.

    python .ci/release_notes.py v1.2.0 > notes.md

The release workflow runs it on the pushed tag. It checks that the tag is ``v`` and a
PEP 440 version in canonical form, that pyproject.toml has the same version, and that
docs/src/changelog.md has a section for it (``## 1.2.0``), whose text it prints.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = ROOT / "docs" / "src" / "changelog.md"
HEADING = re.compile(r"^## (\S+)", flags=re.MULTILINE)


def sections(text: str) -> dict[str, str]:
    """Changelog sections by heading word (a version, or ``Unreleased``), in file order."""
    found = list(HEADING.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    return {m.group(1): text[m.end() : end].strip() for m, end in zip(found, ends, strict=True)}


def newest_version(text: str) -> Version:
    """Return the newest released version in the changelog (its first versioned section)."""
    for name in sections(text):
        if name != "Unreleased":
            return Version(name)
    msg = "the changelog has no released version"
    raise ValueError(msg)


def project_version() -> str:
    """Return the version in pyproject.toml."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["version"]


def notes(tag: str) -> str:
    """Return the changelog section for ``tag``; raise ValueError saying what is wrong."""
    try:
        version = Version(tag.removeprefix("v"))
    except InvalidVersion:
        msg = f"tag {tag!r} is not v + a PEP 440 version"
        raise ValueError(msg) from None
    if tag != f"v{version}":
        msg = f"tag {tag!r} is not in canonical form: use v{version}"
        raise ValueError(msg)
    if project_version() != str(version):
        msg = f"pyproject.toml says version {project_version()}, the tag says {version}"
        raise ValueError(msg)
    found = sections(CHANGELOG.read_text(encoding="utf-8"))
    if str(version) not in found:
        msg = f"{CHANGELOG.relative_to(ROOT)} has no '## {version}' section"
        raise ValueError(msg)
    return found[str(version)] + "\n"


def main(argv: list[str]) -> int:
    """Print the notes of the tag given, or the reason the release is not ready."""
    if len(argv) != 1:
        sys.stderr.write(__doc__ or "")
        return 2
    try:
        sys.stdout.write(notes(argv[0]))
    except ValueError as err:
        sys.stderr.write(f"release not ready: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
