# Two entry points for a fresh machine (Python 3.11+ and access to PyPI):
#   make run    create .venv if needed, then run the pipeline (reports/hw6.html)
#   make test   create .venv if needed, then run the test suite
# The environment is pinned by constraints.txt (and constraints-cuda.txt for the CUDA build of
# torch) and rebuilt only when they, pyproject.toml or the interpreter change.
#
# Variables (on the command line, e.g. `make PYTHON=/usr/bin/python3.11 TORCH=cpu run`):
#   PYTHON  the interpreter that creates .venv (3.11 or newer; default python3)
#   TORCH   auto (default: the CUDA build where an NVIDIA driver is found, else the CPU build),
#           cpu or cuda; changing it reinstalls torch
#   CORES   cores Snakemake may use (default all: the CPUs this process may run on; more jobs
#           than CPUs make the single-threaded training jobs share caches and run slower)
#   GPUS    GPUs of this workstation the MLP training jobs may use, one job per GPU at a time
#           (e.g. GPUS=2; default none: no GPU limit, each job on the default device)
#   CONFIG  a config file merged over config/config.yaml, e.g. CONFIG=config/real.yaml; its run
#           is kept under $(RUNS)/$(RUN)/ (results/, logs/, reports/hw6.html, .snakemake/) and the
#           default run (here) is left alone; `make compare` puts all runs side by side
#   RUN     the name of a CONFIG= run (default: the file's name, or its folder's for config.yaml:
#           config/real.yaml -> real, .test/config.yaml -> test)
#   RUNS    the folder of the named runs (default runs)
#   SNAKEMAKE_ARGS  more arguments for snakemake, e.g. SNAKEMAKE_ARGS=-n (a dry run of that run)

PYTHON ?= python3
TORCH ?= auto
VENV ?= .venv
CORES ?= all
CONFIG ?=
GPUS ?=
# GPUS=N: at most N jobs that train on a GPU at once, each on a GPU no other job holds
# (hw6lib.pipeline.gpulease); Snakemake counts the GPUs, the jobs lease one each.
GPU_FLAGS = $(if $(GPUS),--resources gpu=$(GPUS) --set-resources mlp_train:gpu=1 mlp_best_scores:gpu=1)
RUNS ?= runs
config_name = $(basename $(notdir $1))
RUN ?= $(if $(filter config,$(call config_name,$(CONFIG))),$(patsubst .%,%,$(notdir $(patsubst %/,%,$(dir $(CONFIG))))),$(call config_name,$(CONFIG)))
# A named run works in its own folder (--directory); the workflow and its profile stay here.
# --configfile=X, not --configfile X: it takes several files and would read a target as one.
NAMED_RUN = --snakefile=$(CURDIR)/Snakefile --workflow-profile=$(CURDIR)/profiles/default \
	--directory=$(RUNS)/$(RUN) --configfile=$(abspath $(CONFIG))
# (options that take a list come before --cores, so that a target after it is not read as one)
SNAKEMAKE = $(BIN)/snakemake $(GPU_FLAGS) --cores $(CORES) $(SNAKEMAKE_ARGS) $(if $(CONFIG),$(NAMED_RUN))
BIN := $(VENV)/bin
STAMP := $(VENV)/.hw6-installed
EXTRAS := workflow,slurm,test,lint
MIN_PYTHON := 3.11

.PHONY: run test test-other-isa lint report env clean distclean problem1 problem2 compare FORCE

# Rebuild .venv when the interpreter inside it is missing or older than $(MIN_PYTHON), or when
# PYTHON/TORCH given on the command line differ from what .venv was built with.
VENV_PY := $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV_OK := $(shell $(BIN)/python -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null)
ifneq ($(wildcard $(VENV)),)
ifneq ($(VENV_OK),1)
REBUILD := .venv was made by $(if $(VENV_PY),Python $(VENV_PY),an interpreter that no longer runs)
endif
endif
ifeq ($(origin PYTHON),command line)
ifneq ($(VENV_PY),)
ifneq ($(VENV_PY),$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null))
REBUILD := .venv was made by Python $(VENV_PY), not by $(PYTHON)
endif
endif
endif
ifneq ($(REBUILD),)
$(STAMP): FORCE
endif
ifeq ($(origin TORCH),command line)
ifneq ($(TORCH),$(if $(filter auto,$(TORCH)),auto,$(firstword $(shell cat $(STAMP) 2>/dev/null))))
$(STAMP): FORCE
endif
endif

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt constraints-cuda.txt tools/torch_variant.py
	@if [ -n "$(REBUILD)" ]; then echo "hw6: $(REBUILD); rebuilding it"; rm -rf $(VENV); fi
	@if [ ! -x $(BIN)/python ]; then \
		v=$$($(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null); \
		ok=$$($(PYTHON) -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null); \
		if [ "$$ok" != 1 ]; then \
			echo "hw6: $(PYTHON) ($$(command -v $(PYTHON) || echo not found)) is Python $${v:-?}; $(MIN_PYTHON) or newer is needed: make PYTHON=/path/to/python$(MIN_PYTHON) run" >&2; \
			exit 1; \
		fi; \
		echo "hw6: creating $(VENV) with $(PYTHON) (Python $$v)"; \
		$(PYTHON) -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/python tools/torch_variant.py install --torch $(TORCH) --record $@ -- -e '.[$(EXTRAS)]'

run: $(STAMP)
	$(SNAKEMAKE)

# Parts of the pipeline (see README): Problem 1; Problem 2's data, tree and MLP grid.
problem1 problem2: $(STAMP)
	$(SNAKEMAKE) $@

report: $(STAMP)
	$(SNAKEMAKE) reports/hw6.html

# Every kept run (the default one here and each under $(RUNS)/) side by side: a table on the
# terminal and reports/runs.html.
compare: $(STAMP)
	$(BIN)/python tools/compare_runs.py --table --html reports/runs.html . $(wildcard $(RUNS)/*/)

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
	$(BIN)/ruff check src tests workflow/scripts bench tools
	$(BIN)/ruff format --check src tests workflow/scripts bench tools
	$(BIN)/snakefmt --check Snakefile workflow/rules
	.ci/lint-snakemake $(BIN)/snakemake

# Results, logs and the report; .venv stays (rebuilding it takes minutes): `make distclean`.
clean:
	rm -rf results logs reports/hw6.html reports/runs.html .snakemake
	@echo "make clean: kept $(VENV) (make distclean removes it too) and the named runs in $(RUNS)/"

distclean: clean
	rm -rf $(VENV)

FORCE:
