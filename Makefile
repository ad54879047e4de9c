# Two entry points for a fresh machine (Python 3.11+ and access to PyPI):
#   make run    create .venv if needed, then run the pipeline (reports/hw6.html)
#   make test   create .venv if needed, then run the test suite
# The environment is pinned by constraints.txt and rebuilt only when it or pyproject.toml change.

PYTHON ?= python3
VENV ?= .venv
CORES ?= 4
BIN := $(VENV)/bin
STAMP := $(VENV)/.hw6-installed

.PHONY: run test lint report env clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[workflow,slurm,test,lint]'
	@touch $@

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) reports/hw6.html

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts bench
	$(BIN)/ruff format --check src tests workflow/scripts bench
	$(BIN)/snakefmt --check Snakefile workflow/rules
	.ci/lint-snakemake $(BIN)/snakemake

clean:
	rm -rf results logs reports/hw6.html .snakemake
