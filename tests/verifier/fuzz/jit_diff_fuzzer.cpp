// libFuzzer entry point of the JIT differential fuzzer: generate, verify,
// compile, run in the interpreter and the JIT, compare (fuzz_jit.h). Prints
// running totals every 30 s and at exit; aborts on the first difference.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "tests/verifier/fuzz/fuzz_jit.h"
#include "tests/verifier/fuzz/fuzz_program.h"

namespace {
ebpfaas::verifier::fuzz::JitDiffStats stats;

void print_stats() {
  std::fprintf(stderr, "%s\n", ebpfaas::verifier::fuzz::format_stats(stats).c_str());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool registered = (std::atexit(print_stats), true);
  (void)registered;
  static auto last = std::chrono::steady_clock::now();
  FuzzedDataProvider in(data, size);
  const auto program = ebpfaas::verifier::fuzz::generate_program(in);
  const std::string bug = ebpfaas::verifier::fuzz::check_program_jit(program, in, stats);
  if (!bug.empty()) {
    std::fprintf(stderr, "JIT DIFFERENCE: %s\n", bug.c_str());
    print_stats();
    std::abort();
  }
  if (const auto now = std::chrono::steady_clock::now(); now - last >= std::chrono::seconds(30)) {
    last = now;
    print_stats();
  }
  return 0;
}
