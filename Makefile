# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# the PyTorch pin lives in pyproject.toml (extra "neural"); installed first so pip takes the local CPU build
TORCH := $(shell grep -o 'torch==[0-9.]*' pyproject.toml)
DEMO := demo-output

.PHONY: install demo test lint clean browser lock

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned, so pip takes the local CPU build and never resolves a CUDA one
	$(BIN)/pip install -q $(TORCH)
	# every extra, at the versions of the lock file (constraints), so results are reproducible
	$(BIN)/pip install -q -c $(LOCK) -e ".[all,dev]"
	touch $(STAMP)

# rewrite the lock from the installed environment (after changing a dependency in pyproject.toml)
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v -i -E '^(torch|synthlog)[=@ ]' > $(LOCK)

install: $(STAMP)

demo: $(STAMP)
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@echo "== 1. parse the bundled example log into a Loghub-style labeled data set"
	$(BIN)/synthlog parse examples/logs/blockstore.log --format hdfs --sessions blk \
		--labels examples/logs/blockstore_labels.csv --out $(DEMO)/parsed
	@echo "== 2. find the logging statements of the example service and match the example templates to them"
	$(BIN)/synthlog code scan examples/blockstore --out $(DEMO)/code/statements.csv
	$(BIN)/synthlog code match examples/blockstore --templates examples/blockstore/templates.csv \
		--out $(DEMO)/code/matches.csv
	$(BIN)/synthlog code paths examples/blockstore/src --entry auto --out $(DEMO)/code/paths.jsonl
	$(BIN)/synthlog code graph examples/blockstore/src --method DataNode.writeBlock --out $(DEMO)/code/writeBlock.dot
	@echo "== 3. generate labeled block sessions from the example's source code (the main job)"
	$(BIN)/synthlog --seed 7 generate code examples/blockstore/src --recipe examples/blockstore/recipe.yaml \
		--align-to examples/blockstore/templates.csv -n 2000 --out $(DEMO)/synthetic-code
	@echo "== 4. profile the example log into a statistics spec (no raw values), simulate from it, validate"
	@# the example has only 36 sessions: k = 2 (default 5) lets its error templates be released; validate may then
	@# count a drawn value from a tiny space (disk /disk3: one digit) that equals a rare real one as a rare_token leak
	$(BIN)/synthlog --seed 7 profile examples/logs/blockstore.log --format hdfs --min-sessions 2 \
		--labels examples/logs/blockstore_labels.csv --out $(DEMO)/stats/profiled.yaml
	$(BIN)/synthlog --seed 7 generate stats $(DEMO)/stats/profiled.yaml --lines 5000 --out $(DEMO)/stats/profiled
	$(BIN)/synthlog validate examples/logs/blockstore.log $(DEMO)/stats/profiled --format hdfs --min-sessions 2 \
		--labels examples/logs/blockstore_labels.csv
	$(BIN)/synthlog --seed 7 generate stats examples/specs/payment.yaml --duration 1m --out $(DEMO)/stats/payment
	$(BIN)/synthlog report $(DEMO)/stats/profiled --out $(DEMO)/stats/profiled/report.html
	@echo "== 5. train and test detectors on a small real slice (smoke configuration)"
	$(BIN)/synthlog --quiet bench configs/bench/smoke.yaml --out $(DEMO)/bench-smoke
	$(BIN)/synthlog report $(DEMO)/bench-smoke
	@echo
	@echo "Demo results are in $(DEMO)/:"
	@echo "  parsed/           Loghub files of the parsed example log (structured, templates, labels, sequences)"
	@echo "  code/             logging statements, template matches, paths and an LCFG of the example service"
	@echo "  synthetic-code/   the generated labeled data set (raw log, Loghub CSVs, anomaly_label.csv, summary.json)"
	@echo "  stats/            a spec profiled from the example log, data simulated from it with validation.json"
	@echo "                    and report.html (open it in a browser), and one minute of the example payment system"
	@echo "  bench-smoke/      detector results (results.csv, summary.md, plots, report.html)"

# headless Chromium renders the HTML reports in tests; Debian's package, installed when missing and we are root
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
		echo "chromium could not be installed: the report rendering tests will skip, saying why"

test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
