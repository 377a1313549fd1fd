"""Write docs/src/options.md, the table of the template's questions, from copier.yml.

copier.yml is the one source of the questions, so this page is generated, never edited:

    python docs/generate_options.py          # rewrite docs/src/options.md
    python docs/generate_options.py --check  # exit 1 if the committed page is stale

Needs only the standard library and PyYAML.
"""

from __future__ import annotations

import argparse
import difflib
import html
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
OPTIONS_MD = ROOT / "docs" / "src" / "options.md"
COMMAND = "python docs/generate_options.py"

HEADER = f"""\
<!-- GENERATED from copier.yml by `{COMMAND}`; do not edit by hand. -->

# Options

Every question the template asks, in the order it asks them, read from `copier.yml`.
Values computed from the answers (never asked, never stored) are left out; see
[Architecture](architecture.md).

Pass answers on the command line to skip the prompts:

- copier: `--data name=value` (repeatable), e.g. `--data maturity_level=0 --data use_mlflow=true`
- cookiecutter: `name=value` after the template, e.g. `maturity_level=0 use_mlflow=true`

Choice lists show the stored value first, then copier's label for it. Cookiecutter takes the
same values as text (`auto`, `true`, `false` for the component toggles).
"""

RULES_INTRO = """\
## Validation rules

Both engines enforce the same rules: copier evaluates the `validator` of each question
itself; for cookiecutter, the pre-generation hook (`hooks/pre_gen_project.py`) renders the
very same validators from `copier.yml` through `hooks/answers.py`, and also rejects values
outside a question's choices, before anything is written.
"""

_TAG = re.compile(r"\{%-?.*?-?%\}", re.DOTALL)
_GOT = re.compile(r",?\s*got '\{\{.*?\}\}'")
# spans of a validator message shown as code: "(pattern ...)" and "'{{ answer }}'"
_CODE_SPAN = re.compile(r"\(pattern (?P<pattern>\S+)\)|'\{\{\s*(?P<answer>\w+)\s*\}\}'")
_MD_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": r"\|"}
_MD_SPECIAL.update({c: "\\" + c for c in "\\`*[]"})


def _code(value: str) -> str:
    """Render ``value`` as inline code that is also safe inside a Markdown table cell.

    An HTML ``<code>`` element with the pipe as an entity reads the same in MkDocs and
    on GitHub, where a backslash-escaped pipe inside backticks would differ.
    """
    return "<code>" + html.escape(value, quote=False).replace("|", "&#124;") + "</code>"


def _text(value: str) -> str:
    """Collapse whitespace and escape what Markdown (or a table) would read as markup."""
    return "".join(_MD_SPECIAL.get(c, c) for c in re.sub(r"\s+", " ", str(value)))


def _scalar(value: Any) -> str:
    """Show a YAML scalar the way a user would type it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def _choices(spec: dict[str, Any]) -> str:
    """Return the choice list of a question, values first, labels after."""
    choices = spec.get("choices")
    if choices is None:
        return ""
    if isinstance(choices, dict):
        items = []
        for label, value in choices.items():
            shown = _scalar(value)
            label = _text(label).strip()
            items.append(_code(shown) if label == shown else f"{_code(shown)}: {label}")
        return "<br>".join(items)
    return ", ".join(_code(_scalar(value)) for value in choices)


def validator_rules(validator: str) -> list[str]:
    """Return the messages a Jinja validator can produce, with placeholders for answers."""
    rules = []
    for part in _TAG.split(validator):
        message = " ".join(part.split())
        if not message:
            continue
        message = _GOT.sub("", message)
        shown, end = [], 0
        for match in _CODE_SPAN.finditer(message):
            shown.append(_text(message[end : match.start()]))
            if match["pattern"]:
                shown.append(f"(pattern {_code(match['pattern'])})")
            else:
                shown.append(_code(f"<{match['answer']}>"))
            end = match.end()
        shown.append(_text(message[end:]))
        rules.append("".join(shown))
    return rules


def asked_questions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the asked questions of a parsed copier.yml (no settings, no ``when: false``)."""
    questions = {}
    for name, spec in config.items():
        if name.startswith("_"):
            continue
        if not isinstance(spec, dict):
            spec = {"default": spec}
        when = spec.get("when", True)
        if when is False or (isinstance(when, str) and when.strip().lower() == "false"):
            continue
        questions[name] = spec
    return questions


def render(copier_yml: Path = COPIER_YML) -> str:
    """Return the full text of options.md for ``copier_yml``."""
    config = yaml.safe_load(copier_yml.read_text(encoding="utf-8"))
    questions = asked_questions(config)
    lines = [
        HEADER,
        "| Name | Type | Default | Choices | Help | Checked |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in questions.items():
        default = spec.get("default")
        checks = []
        if "choices" in spec:
            checks.append("one of the choices")
        if "validator" in spec:
            checks.append(f"[validated](#{name})")
        if isinstance(spec.get("when"), str):
            checks.append(f"asked when {_code(spec['when'])}")
        cells = [
            _code(name),
            _code(spec.get("type", "str")),
            "" if default is None else _code(_scalar(default)),
            _choices(spec),
            _text(spec.get("help", "")).strip(),
            "; ".join(checks),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", RULES_INTRO]
    for name, spec in questions.items():
        if "validator" not in spec:
            continue
        lines.append(f"### `{name}`")  # anchor: #{name}
        lines.append("")
        lines += [f"- {rule}" for rule in validator_rules(spec["validator"])]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check the options page; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the page differs from what copier.yml generates",
    )
    args = parser.parse_args(argv)
    expected = render()
    rel = OPTIONS_MD.relative_to(ROOT)
    if args.check:
        current = OPTIONS_MD.read_text(encoding="utf-8") if OPTIONS_MD.exists() else ""
        if current == expected:
            print(f"{rel} is up to date with copier.yml")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=f"{rel} (committed)",
            tofile=f"{rel} (from copier.yml)",
        )
        sys.stderr.writelines(diff)
        print(
            f"\nERROR: {rel} is stale: it does not match copier.yml. Run `{COMMAND}` and commit.",
            file=sys.stderr,
        )
        return 1
    OPTIONS_MD.parent.mkdir(parents=True, exist_ok=True)
    OPTIONS_MD.write_text(expected, encoding="utf-8", newline="\n")
    print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
