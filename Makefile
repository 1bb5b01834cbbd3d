# The front door: make, make run, make test.
BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_TSAN ?= build-tsan
MESON_OPTS ?= --werror
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps run test test-fast bench install clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(BUILD_SAN)/build.ninja:
	CC=clang meson setup $(BUILD_SAN) $(MESON_OPTS) \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug -Doptimization=1

$(BUILD_TSAN)/build.ninja:
	CC=clang meson setup $(BUILD_TSAN) $(MESON_OPTS) \
		-Db_sanitize=thread -Db_lundef=false \
		-Dbuildtype=debug -Doptimization=1

# The main job: the agent with its built-in config, JSON lines on stdout.
run: all
	./$(BUILD)/quazar agent

# The whole suite, then again under AddressSanitizer + UBSan, then the
# tests with threads (suite 'threads') under ThreadSanitizer.
test: all $(BUILD_SAN)/build.ninja $(BUILD_TSAN)/build.ninja
	ninja -C $(BUILD_SAN)
	ninja -C $(BUILD_TSAN)
	./scripts/run-tests.sh $(BUILD) $(BUILD_SAN) $(BUILD_TSAN)

# Only the plain build, for a quick loop while hacking.
test-fast: all
	./scripts/run-tests.sh $(BUILD)

bench: all
	@for b in $(BUILD)/bench/*; do [ -x "$$b" ] && [ -f "$$b" ] && echo "== $$b" && "$$b"; done

# libquazar (.so, .a, headers, libquazar.pc), quazar (bin/) and quazar-fleet
# (libexec/quazar/), the docs and the man pages under PREFIX, staged in
# DESTDIR when it is set.
install: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	ninja -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(abspath $(DESTDIR))")

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN)
