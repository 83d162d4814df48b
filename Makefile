# Baton: the two commands are `make demo` (run the flights pipeline locally) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint package bench clean

install: $(STAMP)

# Pinned dependencies first (requirements.lock), then the project itself without resolving again.
$(STAMP): requirements.lock pyproject.toml scripts/configure-spark.sh scripts/install-chromium.sh scripts/check-node.sh \
          scripts/install-graphviz.sh
	@scripts/check-java.sh
	@scripts/check-node.sh
	@scripts/install-chromium.sh
	@scripts/install-graphviz.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@scripts/configure-spark.sh $(VENV)
	@touch $(STAMP)

# The flights pipeline end to end: generated ASL, local executor, one SparkSession.
demo: install
	@scripts/check-java.sh
	SPARK_LOCAL_IP=127.0.0.1 $(BIN)/baton run flights

# pytest exits 5 when it collected no tests: that is a failure, not a pass.
test: install
	@scripts/check-java.sh
	@scripts/check-node.sh
	@SPARK_LOCAL_IP=127.0.0.1 $(BIN)/pytest -n 2 --dist loadfile; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-fast: install
	SPARK_LOCAL_IP=127.0.0.1 $(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .

package: install
	$(BIN)/baton package

bench: install
	$(BIN)/python benchmarks/executor.py

clean:
	rm -rf $(VENV) dist workflow .pytest_cache
