# Set-up and everyday commands. `make run` and `make test` do everything on a fresh machine.
PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint install translations messages migrate demo browser-deps js-deps clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

install: $(BIN)/activate translations

translations: $(BIN)/activate
	$(BIN)/pybabel compile --use-fuzzy -d translations -f >/dev/null

# After changing UI text: refresh the template and the English catalogue, then translate
# the new entries (empty msgstr) in translations/en/LC_MESSAGES/messages.po.
messages: $(BIN)/activate
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

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

js-deps:
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; elif [ -f package.json ]; then npm install --no-audit --no-fund --silent; fi

test: install js-deps lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
