# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WS ?= demo_workspace
PORT ?= 8501

.PHONY: demo test lint format install clean-demo notebooks

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and alone: the local CPU build, never a CUDA download.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/oddfinder demo $(DEMO_WS)
	$(BIN)/oddfinder app $(DEMO_WS) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src anomaly_app tests bench
	$(BIN)/ruff format --check src anomaly_app tests bench

format: $(STAMP)
	$(BIN)/ruff format src anomaly_app tests bench
	$(BIN)/ruff check --fix src anomaly_app tests bench

test: lint
	$(BIN)/python -m pytest -q

# Execute every notebook with the .venv kernel and save its outputs (a few minutes on CPU).
notebooks: $(STAMP)
	$(BIN)/python notebooks/execute.py --save notebooks/01_anomaly_search.ipynb \
		notebooks/02_similarity_search.ipynb notebooks/03_finetune_rings.ipynb

clean-demo:
	rm -rf $(DEMO_WS)
