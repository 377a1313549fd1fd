"""Cookiecutter pre-generation hook: refuse invalid answers before anything is written.

Cookiecutter renders this file with Jinja before running it; the only template
expressions are the answers and the template's location. The rules themselves live in copier.yml.
"""

import json
import sys

ANSWERS = json.loads({{ cookiecutter | jsonify | tojson }})

# template_root comes from hooks/template_root.py, loaded through _extensions.
sys.path.insert(0, {{ template_root | tojson }})
from hooks.answers import validate  # noqa: E402  (path set just above)

errors = validate(ANSWERS)
for error in errors:
    print(f"ERROR: {error}", file=sys.stderr)
sys.exit(1 if errors else 0)
