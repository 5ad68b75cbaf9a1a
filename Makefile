# Herald: `make dev` runs everything locally, `make test` runs every check.
# Both install what they need first (Python 3.13 packages from uv.lock, Node packages from package-lock.json).

PORT ?= 8000
UV_VERSION := 0.13.8
UV := .tools/uv/bin/uv
PYTHON_313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))

export UV_PYTHON := $(PYTHON_313)
export UV_PROJECT_ENVIRONMENT := .venv
# jsii (under aws-cdk-lib) prints a banner on every start when Node is older than it would like.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The CDK CLI asks the npm registry for a newer version when run in a terminal; cdk.json cannot
# turn that off (notices and telemetry are off there).
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: setup dev test quick lint typecheck bench synth clean

setup: .venv/.synced node_modules/.installed

$(UV):
	@test -n "$(PYTHON_313)" || { echo "Python 3.13 is required (python3.13 on PATH or under ~/.pyenv/versions)"; exit 1; }
	$(PYTHON_313) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

dev: setup
	.venv/bin/python -m infra.local --port $(PORT)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/mypy

test: lint typecheck
	.venv/bin/pytest --durations=20

# The fast loop, well under 90 s: lint, then the tests not marked slow, e2e, cdk or ffmpeg.
quick: lint
	.venv/bin/pytest -n 2 -m "not slow and not e2e and not cdk and not ffmpeg"

bench: setup
	.venv/bin/python bench/cold_start.py
	.venv/bin/python bench/auth.py
	.venv/bin/python bench/publish_fanout.py
	.venv/bin/python bench/publish_video_memory.py
	.venv/bin/python bench/media.py
	.venv/bin/python bench/webhooks_inbound.py
	.venv/bin/python bench/webhooks.py
	.venv/bin/python bench/analytics.py

synth: setup
	npx cdk synth --quiet

clean:
	rm -rf .venv .tools node_modules build cdk.out .mypy_cache .ruff_cache .pytest_cache
