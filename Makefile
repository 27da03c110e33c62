# Shortcuts for the scripts the README names.
.PHONY: demo test services install lint format

demo:
	scripts/demo.sh

test:
	scripts/test.sh

services:
	scripts/services.sh

install:
	scripts/install.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
