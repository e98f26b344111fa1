# autorec-notebooks: every target sets itself up.
#   make run     execute every notebook in place (refreshes outputs and results/)
#   make unit    the fast tier: package and data tests, no notebook
#   make test    unit tests + every notebook under nbval (CI's command)
#   make bench   training speed against the hardware limit
#   make readme  regenerate the README's results table from results/
#   make lab     JupyterLab in the project's environment
#   make book    the course website (book/_build/html) from the saved outputs
#   make book-test  the built site in headless Chromium (book/test_site.py)
#   make student the student edition of every notebook (build/student/notebooks)
#   make grade SUBMISSIONS=dir   grade a folder of submitted notebooks (dir/grades.csv)
#   make grade-check  every graded exercise: solution full marks, stub 0, wrong fails
#   make solutions    the notebooks whose long solutions make test skips, run whole
#   make clean   remove the environment and caches (never the data)

PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
                    command -v $$p >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.autorec-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: run unit test bench readme lab clean env book book-test student grade grade-check \
        solutions

# OpenMP threads (PyTorch's, MXNet's) spin briefly at a barrier and then sleep,
# instead of spinning for milliseconds, which on a busy machine wastes the time
# they wait: autorec_common sets the same default when imported
# (autorec_common/_threads.py; tests/test_threads.py keeps the two in step);
# here it also reaches a notebook that imports a framework first.
# bench/busy.py measures it. Either variable set in the environment or on
# make's command line leaves both to you.
ifeq ($(origin OMP_WAIT_POLICY)$(origin GOMP_SPINCOUNT),undefinedundefined)
export OMP_WAIT_POLICY := PASSIVE
export GOMP_SPINCOUNT := 3000
endif

env: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	@"$(PYTHON)" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null || \
	  { echo "error: this project needs Python 3.11-3.13 (the pinned NumPy 2.4 needs 3.11 or newer); found '$(PYTHON)' ($$("$(PYTHON)" --version 2>&1)). Install Python 3.11 and run 'make PYTHON=/path/to/python3.11 ...', or use environment.yml."; exit 1; }
	@test -x "$(PY)" || "$(PYTHON)" -m venv "$(VENV)"
	"$(PY)" -m pip install --disable-pip-version-check -q -r requirements.txt
	"$(PY)" -m pip install --disable-pip-version-check -q --no-deps -r requirements-nodeps.txt
	"$(PY)" -m pip install --disable-pip-version-check -q --no-deps -e .
	@mkdir -p "$(dir $(LAB_OVERRIDES))" && cp tools/jupyterlab-overrides.json "$(LAB_OVERRIDES)"
	@touch "$(STAMP)"

# make run executes each notebook in its own nbconvert call, so one failing
# notebook (left as it was) does not stop the others; it then names the failures.
# It is the one target that records into the checkout's results/ (AUTOREC_RESULTS);
# a notebook run in Jupyter records into the user's cache folder instead.
# `make run NOTEBOOKS=notebooks/05_hidden_size.ipynb` reruns one notebook.
run: $(STAMP)
	@failed=; for nb in $(NOTEBOOKS); do \
	  echo "make run: $$nb"; \
	  AUTOREC_RESULTS="$(CURDIR)/results" "$(PY)" -m jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=-1 --ExecutePreprocessor.kernel_name=python3 "$$nb" \
	    || failed="$$failed $$nb"; \
	done; \
	"$(PY)" -m autorec_common || failed="$$failed (README table)"; \
	if [ -n "$$failed" ]; then echo "make run: failed:$$failed"; exit 1; fi

# make test spreads the test files and notebooks over pytest-xdist workers, one
# per CPU (at most 4; a notebook's cells stay together on one worker), and gives
# each worker its share of the CPUs as threads, since a small model's operations
# gain little from a second thread. TEST_WORKERS=0 runs everything in this
# process. The notebooks record their numbers into a scratch folder, so a test
# run never changes the committed results/.
CPUS := $(shell "$(PYTHON)" -c 'import os; print(os.cpu_count() or 1)' 2>/dev/null || echo 1)
TEST_WORKERS ?= $(shell w=$(CPUS); [ $$w -gt 4 ] && w=4; echo $$w)
TEST_THREADS ?= $(shell w=$(TEST_WORKERS); [ $$w -lt 1 ] && w=1; t=$$(( $(CPUS) / $$w )); [ $$t -lt 1 ] && t=1; echo $$t)

# make unit: every test under tests/ except the slow ones (fresh interpreters),
# on synthetic data and the real archive; no notebook.
UNIT_MARKERS := not notebooks and not slow and not grading

unit: $(STAMP)
	AUTOREC_RESULTS="$$(mktemp -d)" OMP_NUM_THREADS=$(TEST_THREADS) \
	  "$(PY)" -m pytest tests -m "$(UNIT_MARKERS)" -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP)
	AUTOREC_RESULTS="$$(mktemp -d)" OMP_NUM_THREADS=$(TEST_THREADS) AUTOREC_GRADE_STRICT=1 \
	  "$(PY)" -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not grading"

# The coursework (book/teachers.md): the student edition, generated from the
# notebooks (the instructor edition); grading a folder of submissions with
# otter-grader; and the grading tier CI runs (tests/test_grading.py): every
# test file against a stub and a wrong answer, and the notebooks with a short
# run graded end to end three times (solution, stub, wrong). make test runs
# the notebooks with AUTOREC_GRADE_STRICT=1: a solution failing its check fails.
student: $(STAMP)
	"$(PY)" tools/editions.py student --out build/student

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder"; exit 2; }
	"$(PY)" tools/grade.py "$(SUBMISSIONS)"

grade-check: $(STAMP)
	AUTOREC_RESULTS="$$(mktemp -d)" "$(PY)" -m pytest tests/test_grading.py -m grading -q

# make solutions: a solution that takes more than a minute or two is tagged
# nbval-skip, so that make test (and make colab-check) leave it out; this tier
# executes every notebook holding such a cell top to bottom, into a scratch
# folder (the committed notebooks and results/ are left as they are), and fails
# if any cell raises.
SOLUTION_NOTEBOOKS := $(shell grep -l '"nbval-skip"' $(NOTEBOOKS) 2>/dev/null)
solutions: $(STAMP)
	@tmp="$$(mktemp -d)"; for nb in $(SOLUTION_NOTEBOOKS); do \
	  echo "make solutions: $$nb"; \
	  AUTOREC_RESULTS="$$tmp/results" AUTOREC_GRADE_STRICT=1 "$(PY)" -m jupyter nbconvert --to notebook --execute \
	    --output-dir "$$tmp" --ExecutePreprocessor.timeout=-1 \
	    --ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	done

bench: $(STAMP)
	"$(PY)" bench/bench.py

readme: $(STAMP)
	"$(PY)" -m autorec_common

# JupyterLab records each cell's execution times (recordTiming) as nbclient
# does; without it, running a cell deletes them, and the book's teachers' page
# reads its "run (min)" column from them (book/prepare.py, run_seconds). The
# environment's settings carry it (make env installs them, make lab again), so
# JupyterLab started from .venv by hand keeps the times too.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: $(STAMP)
	@mkdir -p "$(dir $(LAB_OVERRIDES))" && cp tools/jupyterlab-overrides.json "$(LAB_OVERRIDES)"
	"$(PY)" -m jupyter lab notebooks

# The book has an environment of its own (book/.venv, pins in
# requirements-book.txt), so Jupyter Book's dependencies never touch the
# notebooks' pinned one. Building reads the notebooks' saved outputs only.
BOOK_VENV ?= book/.venv
BOOK_PY := $(BOOK_VENV)/bin/python
BOOK_STAMP := $(BOOK_VENV)/.autorec-book-installed

$(BOOK_STAMP): requirements-book.txt
	@test -x "$(BOOK_PY)" || "$(PYTHON)" -m venv "$(BOOK_VENV)"
	"$(BOOK_PY)" -m pip install --disable-pip-version-check -q -r requirements-book.txt
	@touch "$(BOOK_STAMP)"

# make book EDITION=student builds the site from the student edition.
EDITION ?= instructor
book: $(BOOK_STAMP)
	"$(BOOK_PY)" book/prepare.py --out book/_build/src --edition $(EDITION)
	rm -rf book/_build/html book/_build/jb
	"$(BOOK_VENV)/bin/jupyter-book" build book/_build/src --path-output book/_build/jb \
	  --warningiserror --nitpick --keep-going --quiet
	mv book/_build/jb/_build/html book/_build/html
	"$(BOOK_PY)" book/check_site.py book/_build/html
	@echo "The site is in book/_build/html (open book/_build/html/index.html)."

book-test: $(BOOK_STAMP)
	@test -f book/_build/html/index.html || $(MAKE) book
	"$(BOOK_PY)" -m pytest book/test_build.py book/test_site.py --confcutdir=book -p no:cacheprovider -o addopts="" -q -rs

# make colab-check: notebook 02 on Python 3.13 and 03 on Python 3.11, run as a
# Colab reader runs them: fresh environments shaped like Colab's runtime (its
# NumPy, SciPy, pandas, matplotlib, IPython and ipykernel; no MXNet, no d2l), the
# package installed by each notebook's own setup cell from a git clone of HEAD
# (tests/colab/colab_check.py). pip's downloads and Colab's preinstalled
# packages are kept in .cache/colab-check, so a rerun does not download them again.
.PHONY: colab-check
colab-check: $(STAMP)
	nice -n 10 "$(PY)" tests/colab/colab_check.py

clean:
	rm -rf "$(VENV)" "$(BOOK_VENV)" book/_build .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
