# The two commands of README.rst: `make run` (example project) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-matrix lint bench wheel clean messages

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[engine,test,dev]' -r example_project/requirements.txt
	touch $(STAMP)

## Set up and run the example project on http://127.0.0.1:8000 (SQLite, local provider).
run: $(STAMP)
	cd example_project && ../$(BIN)/python manage.py migrate --noinput
	cd example_project && ../$(BIN)/python manage.py lifecheck_demo_setup
	cd example_project && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

## Set up and run the whole test suite (browser tests included).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The fast tests on the other supported Django lines: 4.2 LTS (Python 3.10) and 6.0
## (Python 3.12), each in its own virtual environment (see .ci/test-matrix).
test-matrix:
	bash .ci/test-matrix

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/engine.py

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

## Refresh the catalogues after changing UI text, translate, then run it again to compile.
messages: $(STAMP)
	cd django_lifecheck && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --ignore 'engine/*'
	cd django_lifecheck && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) .venv-py3.* build dist *.egg-info
