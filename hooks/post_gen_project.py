"""Cookiecutter post-generation hook: finish the tree exactly as copier does.

Copier renders only ``*.jinja`` files and strips the suffix, skips files whose name
renders empty and folders excluded by ``_exclude``. Cookiecutter renders every file
and keeps names, so this hook applies the same three rules to what it wrote.
"""

import shutil
import sys
from pathlib import Path

SUFFIX = ".jinja"
DISABLED = "__disabled__"  # prefix of a conditional folder whose component is off


def finish(root: Path) -> None:
    """Apply copier's naming rules to the tree that cookiecutter wrote under ``root``."""
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists():
            continue
        if path.is_dir() and path.name.startswith(DISABLED):
            shutil.rmtree(path)
        elif path.is_file() and path.name == SUFFIX:
            path.unlink()  # a conditional file whose component is off
        elif path.is_file() and path.name.endswith(SUFFIX):
            path.rename(path.with_name(path.name[: -len(SUFFIX)]))


if __name__ == "__main__":
    project = Path.cwd()
    finish(project)
    print(f"Rendered {project.name}.\nNext:  cd {project} && make install train", file=sys.stderr)
