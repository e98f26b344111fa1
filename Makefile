# autorec-notebooks: every target sets itself up.
#   make run     execute every notebook in place (refreshes outputs and results/)
#   make test    unit tests + every notebook under nbval
#   make bench   training speed against the hardware limit
#   make readme  regenerate the README's results table from results/
#   make lab     JupyterLab in the project's environment
#   make clean   remove the environment and caches (never the data)

PYTHON ?= $(shell for p in python3.11 python3.10 python3.9 python3; do \
                    command -v $$p >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.autorec-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: run test bench readme lab clean env

env: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@"$(PYTHON)" -c 'import sys; sys.exit(not ((3, 9) <= sys.version_info[:2] <= (3, 11)))' 2>/dev/null || \
	  { echo "error: this project needs Python 3.9-3.11 (MXNet 1.9.1 needs NumPy 1.23.5); found '$(PYTHON)' ($$("$(PYTHON)" --version 2>&1)). Install Python 3.11 and run 'make PYTHON=/path/to/python3.11 ...', or use environment.yml."; exit 1; }
	@test -x "$(PY)" || "$(PYTHON)" -m venv "$(VENV)"
	"$(PY)" -m pip install --disable-pip-version-check -q -r requirements.txt
	"$(PY)" -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch "$(STAMP)"

run: $(STAMP)
	"$(PY)" -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=python3 $(NOTEBOOKS)
	"$(PY)" -m autorec_common

# The notebooks record their numbers into a scratch folder here, so a test run
# never changes the committed results/.
test: $(STAMP)
	AUTOREC_RESULTS="$$(mktemp -d)" "$(PY)" -m pytest

bench: $(STAMP)
	"$(PY)" bench/bench.py

readme: $(STAMP)
	"$(PY)" -m autorec_common

lab: $(STAMP)
	"$(PY)" -m jupyter lab notebooks

clean:
	rm -rf "$(VENV)" .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
