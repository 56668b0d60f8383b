# fedcrm — the two commands a newcomer needs are `make demo` and `make test`.
# Both install missing Debian packages first (scripts/deps.sh), then build.

BUILD_DIR ?= build
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
# CI builds with -Werror; a developer's build only warns.
WERROR    := $(if $(CI),ON,OFF)
FEDCRM    := $(BUILD_DIR)/bin/fedcrm

.PHONY: all deps configure build test demo bench fuzz lint format clean images

all: build

deps:
	@scripts/deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DFEDCRM_WERROR=$(WERROR)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	$(FEDCRM) simulate -f examples/churn.yaml --report $(BUILD_DIR)/demo-report
	@echo
	@echo "The other two tasks:"
	@echo "  $(FEDCRM) simulate -f examples/lead-scoring.yaml"
	@echo "  $(FEDCRM) simulate -f examples/service.yaml"
	@echo "A region's worker killed mid-round, and the round recovering:"
	@echo "  $(FEDCRM) simulate -f examples/churn.yaml --rounds 3 --drop eu@masked"
	@echo "Report (JSON, SVG chart, the models): $(BUILD_DIR)/demo-report/"

# The four container images (docker/), with podman or docker; the image's
# build stage takes this tree's configuration and, with podman, its ccache.
images: configure
	scripts/images.sh $(BUILD_DIR)

bench: build
	scripts/bench.sh $(BUILD_DIR)

fuzz: configure
	scripts/fuzz.sh --seconds $${FUZZ_SECONDS:-300} $(BUILD_DIR)

lint: configure
	scripts/lint.sh $(BUILD_DIR)

format:
	scripts/lint.sh --fix

clean:
	rm -rf $(BUILD_DIR)
