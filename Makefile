# Two entry points for a fresh machine (Python 3.11+ and access to PyPI):
#   make run    create .venv if needed, then run the pipeline (reports/hw6.html)
#   make test   create .venv if needed, then run the test suite
# The environment is pinned by constraints.txt and rebuilt only when it or pyproject.toml change.

PYTHON ?= python3
VENV ?= .venv
CORES ?= 4
BIN := $(VENV)/bin
STAMP := $(VENV)/.hw6-installed

.PHONY: run test test-other-isa lint report env clean

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

# The fast tests again under another instruction set: numpy without its AVX-512 kernels (AVX2 at
# most, as on most machines) and torch's portable kernels. The OPENBLAS_* variables are left as the
# machine sets them. The first line fails if numpy did not take the setting.
OTHER_ISA := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL" ATEN_CPU_CAPABILITY=default
test-other-isa: $(STAMP)
	$(OTHER_ISA) $(BIN)/python -c "from numpy._core._multiarray_umath import __cpu_features__ as f; \
		import torch; assert not f['X86_V4'], f; print('numpy X86_V4:', f['X86_V4'], \
		'| torch CPU capability:', torch.backends.cpu.get_cpu_capability())"
	$(OTHER_ISA) $(BIN)/pytest -m "not workflow and not slurm and not browser"

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow/scripts bench
	$(BIN)/ruff format --check src tests workflow/scripts bench
	$(BIN)/snakefmt --check Snakefile workflow/rules
	.ci/lint-snakemake $(BIN)/snakemake

clean:
	rm -rf results logs reports/hw6.html .snakemake
