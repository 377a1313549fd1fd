# The template's own tasks. `make test` is the command README.md gives and CI runs
# (.ci/run): on a fresh machine it installs the system tools the tests call, then the
# locked dev environment, then every test tier. PYTEST_ARGS narrows it, e.g.
# `make test PYTEST_ARGS="-m lint"`.

# DVC and the other tools the rendered projects run must not phone home from tests.
export DVC_NO_ANALYTICS := 1
export DO_NOT_TRACK := 1

PYTEST_ARGS ?=

.PHONY: test
test: ## install missing system tools (Debian packages), sync the dev environment, run the tests
	python3 tests/system_tools.py install
	uv sync --locked
	uv run pytest $(PYTEST_ARGS)
