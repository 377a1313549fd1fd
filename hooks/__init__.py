"""Scripts the template runs: cookiecutter hooks and the helpers they share."""
