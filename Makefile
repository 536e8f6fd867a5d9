# Set-up and everyday commands. `make run` and `make test` do everything on a fresh machine.
PYTHON ?= python3
PORT ?= 5000
# Test processes (pytest-xdist), each on a database of its own.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

# Stamps: the runtime packages (requirements.txt), and the test, lint and lock tools on top
# (requirements-dev.txt). Each is reinstalled when its pins change.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: run serve test lint install translations messages migrate demo js-deps lock clean

$(RUNTIME): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(RUNTIME) translations

translations: $(RUNTIME)
	$(BIN)/pybabel compile --use-fuzzy -d translations -f >/dev/null

# After changing UI text: refresh the template and the English catalogue, then translate
# the new entries (empty msgstr) in translations/en/LC_MESSAGES/messages.po.
messages: $(RUNTIME)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations -l en

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load --if-empty

run: demo
	@echo ""
	@echo "活动日历已启动: http://127.0.0.1:$(PORT)"
	@echo "首次使用请先创建管理员账号: $(FLASK) user create admin --role admin"
	@echo "然后在 http://127.0.0.1:$(PORT)/login 登录。"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with deploy/gunicorn.conf.py (bind, workers and threads from GUNICORN_*
# variables; the database and Redis from TRACKER_* as always). Run `make migrate` first.
serve: install
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# ical.js, the second parser the tests read every feed with (Node.js and npm). Without npm
# those tests are skipped, or fail under CI=true.
js-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "npm is missing: the tests that read feeds with ical.js will be skipped"; fi

test: install $(DEV) js-deps lint
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# Re-pin after editing requirements*.in: pins already in the .txt files are kept when they
# still fit; `make lock UPGRADE=1` moves everything to the newest releases.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(DEV)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
