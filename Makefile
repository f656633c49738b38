# ebpfaas: the two set-up commands are `make run` and `make test`.
BUILD      ?= build
TEST_BUILD ?= build-test
CC_BIN     ?= clang-16
CXX_BIN    ?= clang++-16
JOBS       ?= $(shell nproc)

CMAKE_COMMON = -G Ninja -DCMAKE_C_COMPILER=$(CC_BIN) -DCMAKE_CXX_COMPILER=$(CXX_BIN)

.PHONY: all deps build run test bench format clean

all: build

deps:
	@scripts/setup-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/serverless-demo $(BUILD)

test: deps
	@cmake -S . -B $(TEST_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DEBPFAAS_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/run-benchmarks $(BUILD)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format-16 -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
