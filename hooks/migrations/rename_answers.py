"""Rename questions in a project's answers file, so an update keeps the old answers.

    python rename_answers.py ANSWERS_FILE OLD=NEW [OLD=NEW ...]

Runs as a `before` migration, in the project, before copier reads the answers it
renders the new release with. Idempotent: a pair whose old name is absent (already
migrated, or never answered) is left alone, and an existing new answer is never
overwritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def rename(answers: dict[str, object], pairs: list[tuple[str, str]]) -> list[str]:
    """Rename keys of ``answers`` in place; return what was renamed, for the log."""
    done = []
    for old, new in pairs:
        if old in answers and new not in answers:
            answers[new] = answers.pop(old)
            done.append(f"{old} -> {new}")
        else:
            answers.pop(old, None)  # a stale old answer must not come back
    return done


def main(argv: list[str]) -> int:
    """Rewrite the answers file with renamed keys; keep its leading comment lines."""
    path, *specs = argv
    pairs = [tuple(spec.split("=", 1)) for spec in specs]
    if not specs or any(len(pair) != 2 or not all(pair) for pair in pairs):
        sys.stderr.write(__doc__ or "")
        return 2
    answers_file = Path(path)
    text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    done = rename(answers, pairs)  # type: ignore[arg-type]
    if done:
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        body = yaml.safe_dump(answers, sort_keys=True, allow_unicode=True)
        answers_file.write_text(header + body, encoding="utf-8")
        print(f"migrated answers in {answers_file}: {', '.join(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
