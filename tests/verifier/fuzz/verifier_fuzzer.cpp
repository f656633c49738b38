// libFuzzer entry point: generate, verify, run. Prints running totals.
#include <cstdio>
#include <cstdlib>

#include "tests/verifier/fuzz/fuzz_program.h"

namespace {
ebpfaas::verifier::fuzz::Stats stats;

void print_stats() {
  std::fprintf(stderr, "verifier-fuzz: generated %llu decoded %llu accepted %llu runs %llu\n",
               static_cast<unsigned long long>(stats.generated),
               static_cast<unsigned long long>(stats.decoded),
               static_cast<unsigned long long>(stats.accepted),
               static_cast<unsigned long long>(stats.runs));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool registered = (std::atexit(print_stats), true);
  (void)registered;
  FuzzedDataProvider in(data, size);
  const auto program = ebpfaas::verifier::fuzz::generate_program(in);
  const std::string bug = ebpfaas::verifier::fuzz::check_program(program, in, stats);
  if (!bug.empty()) {
    std::fprintf(stderr, "VERIFIER BUG: %s\n", bug.c_str());
    print_stats();
    std::abort();
  }
  if (stats.generated % 100000 == 0) print_stats();
  return 0;
}
