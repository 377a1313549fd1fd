"""A Jinja extension that tells cookiecutter's hooks where this template lives.

Cookiecutter runs hooks from a temporary copy, in the output folder, and its
``_repo_dir`` may be relative to a working directory the hook cannot see. It does
import ``_extensions`` from the template folder, so this module can report its own
absolute location; ``hooks/pre_gen_project.py`` uses it to find ``copier.yml``.
"""

from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

ROOT = Path(__file__).resolve().parent.parent


class TemplateRootExtension(Extension):
    """Expose ``template_root``, the absolute path of the template repository."""

    def __init__(self, environment: Environment) -> None:
        """Register the global."""
        super().__init__(environment)
        environment.globals["template_root"] = str(ROOT)
