"""Carry the user's edits of a file the template moved over to its new path.

    python move_paths.py ANSWERS_FILE OLD=NEW [OLD=NEW ...]

Runs as an `after` migration, in the project, with the Python that runs copier.
Without it, an update deletes OLD (the new release no longer renders it) together
with the user's edits, and renders NEW fresh. For each pair this merges three
versions of the file into NEW, like git does for a rename:

- the user's: OLD as committed before the update (`git show HEAD:OLD`);
- the base: OLD as the previous release rendered it (rendered again here, from the
  release and answers recorded in the committed answers file);
- the template's: NEW as the update just rendered it.

Edits on both sides merge; overlapping ones leave conflict markers, never a silent
loss. A file the user deleted stays deleted. Idempotent: once NEW is committed there
is nothing to do; before that, a second run merges the same edits again (no change)
and leaves a file with this script's conflict markers alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import copier
import yaml

# merge-file's first conflict label: a file holding it was already merged
MARKER = "<<<<<<< your version"


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in the project."""
    return subprocess.run(["git", *args], capture_output=True, text=True, check=check)


def committed(path: str) -> str | None:
    """Return the file as committed before the update, or None if it was not there."""
    proc = git("show", f"HEAD:./{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None


def render_previous_release(answers_file: str, dst: Path) -> None:
    """Render the release the project was on, with its answers then, into ``dst``."""
    previous = committed(answers_file)
    if previous is None:
        msg = f"{answers_file} is not committed: cannot tell which release to merge from"
        raise SystemExit(msg)
    answers = yaml.safe_load(previous)
    copier.run_copy(
        answers["_src_path"],
        dst,
        data={k: v for k, v in answers.items() if not k.startswith("_")},
        vcs_ref=answers["_commit"],
        defaults=True,
        quiet=True,
    )


def merge(ours: str, base: Path, theirs: Path) -> bool:
    """Merge the user's version into ``theirs`` in place; True when it conflicts."""
    with tempfile.NamedTemporaryFile("w", suffix=".ours", delete=False) as handle:
        handle.write(ours)
    labels = ["-L", "your version", "-L", "previous release", "-L", "new release"]
    proc = git("merge-file", "-p", *labels, handle.name, str(base), str(theirs), check=False)
    Path(handle.name).unlink()
    if proc.returncode > 127:  # 1-127: the number of conflicts; 255: an error
        raise SystemExit(proc.stderr)
    theirs.write_text(proc.stdout, encoding="utf-8")
    return proc.returncode > 0


def main(argv: list[str]) -> int:
    """Merge each moved file; report conflicts the way copier does (markers in place)."""
    answers_file, *specs = argv
    pairs = [tuple(spec.split("=", 1)) for spec in specs]
    if not specs or any(len(pair) != 2 or not all(pair) for pair in pairs):
        sys.stderr.write(__doc__ or "")
        return 2
    # only pairs the update just moved: NEW rendered now, not committed before
    moved = [(o, n) for o, n in pairs if Path(n).is_file() and committed(n) is None]
    # nothing to merge where the user's file is already what the update rendered
    moved = [(o, n) for o, n in moved if committed(o) != Path(n).read_text(encoding="utf-8")]
    if not moved:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        previous = Path(tmp) / "previous"
        render_previous_release(answers_file, previous)
        for old, new in moved:
            ours, base, theirs = committed(old), previous / old, Path(new)
            if ours is None:
                if base.is_file():  # the previous release rendered it: the user deleted it
                    theirs.unlink()
                    print(f"moved {old} -> {new}: you had deleted it, it stays deleted")
                continue
            if MARKER in theirs.read_text(encoding="utf-8"):
                continue  # merged by an earlier run of this migration
            if not base.is_file():
                base = Path(tmp) / "empty"
                base.write_text("", encoding="utf-8")
            conflicted = merge(ours, base, theirs)
            state = "conflict, resolve the markers" if conflicted else "merged"
            print(f"moved {old} -> {new}: your edits {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
