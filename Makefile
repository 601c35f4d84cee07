# Frontline assistant. Quick start: `make run`, `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)

PY   := .venv/bin/python
KB   := .venv/bin/kb
RASA := .venv-rasa/bin/rasa
MODEL = $(shell $(PY) -c 'from frontline.training import model_path; from frontline.settings import Settings; print(model_path(Settings()))')
RESULTS := var/test-results

.PHONY: help install install-test validate index train run shell docs docs-screenshot test test-unit test-integration test-rasa test-e2e eval bench audit lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: ## create/refresh both environments from the lock files (skips when up to date)
	@scripts/install.sh

install-test: ## install plus what the tests need (Debian chromium, npm assets)
	@scripts/install.sh --test

validate: install ## check every content file; all problems as file:line
	@$(KB) validate

index: validate ## build the search index if the content changed
	@$(KB) build

train: install ## train the Rasa model if the bot data or config changed
	@$(PY) -m frontline.cli train

run: index train ## install, validate, build, train, then start all three processes
	@$(PY) -m frontline.cli run

docs: ## regenerate the annotated flow examples (docs/flows.md, README)
	@$(PY) -m knowledge_base.flows examples

docs-screenshot: install-test ## replace docs/panel.png (the README's picture of the panel) from a real browser
	UPDATE_DOCS_SCREENSHOT=1 $(PY) -m pytest -m slow -q tests/e2e/test_browser_cards.py -k docs_panel_screenshot

shell: index train ## chat in this terminal (rasa shell + action server; nothing is stored)
	@$(PY) -m frontline.cli shell

test: install-test ## install what is missing and run every test
	@$(MAKE) --no-print-directory test-unit test-integration test-rasa test-e2e
	@echo "ALL TESTS PASSED"

test-unit: ## content (strict), the import rules (lint-imports), fast unit tests with the fake embedder
	$(KB) validate --strict
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest -m unit -q

test-integration: index ## real model, FAISS and local servers; trainers' content tests (kb test)
	$(PY) -m pytest -m integration -q
	$(KB) test

test-rasa: train ## rasa data validate + conversation tests (fail on any prediction error)
	cd $(CURDIR) && $(RASA) data validate --domain bot/domain --data bot/data --config config.yml
	mkdir -p $(RESULTS)
	$(RASA) test core --model $(MODEL) --stories bot/tests --fail-on-prediction-errors --out $(RESULTS)/rasa --no-plot
	.venv-rasa/bin/python -c "from bot.speedups import self_test; self_test()"
	.venv-rasa/bin/python -c "from bot.tracker_store import self_test; self_test()"

test-e2e: index train ## whole stack as `make run` starts it, through REST and the front door
	$(PY) -m pytest -m slow -q

eval: index ## search quality (BM25 vs dense vs hybrid), risk routing, needs and redaction quality, every labelled set
	$(PY) -m bench.search_eval $(if $(SET),--set $(SET))
	$(PY) -m bench.routing_eval
	$(PY) -m bench.needs_eval
	$(PY) -m bench.redaction_eval

bench: index train ## speed and quality, side by side with the baselines
	$(PY) -m bench.run

audit: install-test ## audit both lock files for known vulnerabilities (pip-audit)
	@scripts/audit.sh

lock: ## re-pin both environments from what is installed now, with sha256 hashes
	.venv/bin/pip freeze --all --exclude-editable | grep -v -e '^-e' -e '^frontline-assistant==' > /tmp/frontline-freeze.txt
	@# test tools keep their own lock: the runtime lock is everything else
	grep -v -e '^#' -e '^ ' requirements/test.lock.txt | cut -d= -f1 | tr 'A-Z_.' 'a-z--' > /tmp/frontline-test-names.txt
	awk -F'==' 'NR==FNR {t[$$1]=1; next} {n=tolower($$1); gsub(/[_.]/,"-",n); if (!(n in t)) print}' /tmp/frontline-test-names.txt /tmp/frontline-freeze.txt > requirements/app.lock.txt
	{ echo '# Test tools only (make install-test / make test): not in the runtime environment.'; \
	  awk -F'==' 'NR==FNR {t[$$1]=1; next} {n=tolower($$1); gsub(/[_.]/,"-",n); if (n in t) print}' /tmp/frontline-test-names.txt /tmp/frontline-freeze.txt; } > requirements/test.lock.txt
	.venv-rasa/bin/pip freeze --all --exclude-editable | grep -v -e '^-e' -e '^frontline-assistant==' > requirements/rasa.lock.txt
	@# hashes: scripts/install.sh installs with --require-hashes
	.venv/bin/python scripts/hash_lock.py .venv/bin/python requirements/app.lock.txt
	.venv/bin/python scripts/hash_lock.py .venv/bin/python requirements/test.lock.txt
	.venv/bin/python scripts/hash_lock.py .venv-rasa/bin/python requirements/rasa.lock.txt

clean: ## remove generated files (keeps the environments)
	rm -rf var/index models var/test-results
