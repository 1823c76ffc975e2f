# make book    execute every chapter (PROFILE=quick by default) and build book/_build/html
# make test    lint, unit tests, smoke runs of every chapter, the built site in headless Chromium
# make run NB=single_neuron P="beta=0.05 epochs=20000"   one chapter, new parameters, into runs/
# make -j2 book runs chapters in parallel.

PROFILE ?= quick
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHAPTERS := $(shell sed -n 's/^\([a-z][a-z0-9_]*\):.*/\1/p' notebooks/chapters.yml)

.PHONY: book chapters site run test lint bench clean env help
.DEFAULT_GOAL := help

help:
	@sed -n 's/^# //p' Makefile | head -4

# The environment is (re)built when it is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[book,test]'
	touch $@

env: $(STAMP)

chapter-%: $(STAMP)
	$(PY) -m ibtools.pipeline execute $* --profile $(PROFILE)

chapters: $(addprefix chapter-,$(CHAPTERS))

book: chapters
	$(PY) -m ibtools.pipeline site --profile $(PROFILE)

run: $(STAMP)
	@test -n "$(NB)" || { echo 'usage: make run NB=<chapter or notebook> P="name=value ..."'; exit 2; }
	$(PY) -m ibtools.pipeline run --profile $(PROFILE) $(NB) $(P)

lint: $(STAMP)
	$(PY) -m ruff check ibtools tests benchmarks notebooks

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_sp.py
	$(PY) benchmarks/bench_ksg.py --skip-reference-above 300 --skip-ibtools-above 300

clean:
	rm -rf .build book/_build runs
