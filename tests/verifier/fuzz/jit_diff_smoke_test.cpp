// The JIT differential fuzzer's check on a fixed set of pseudo-random inputs,
// as part of the test suite (the coverage-guided fuzzer is the optional
// jit_diff_fuzzer target).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "tests/verifier/fuzz/fuzz_jit.h"
#include "tests/verifier/fuzz/fuzz_program.h"

namespace ebpfaas::verifier::fuzz {
namespace {

TEST(JitDiffFuzzSmoke, AcceptedProgramsAgreeInTheInterpreterAndTheJit) {
  std::mt19937_64 rng(20261207);
  JitDiffStats stats;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> bytes(rng() % 600 + 8);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    FuzzedDataProvider in(bytes.data(), bytes.size());
    const auto program = generate_program(in);
    const std::string bug = check_program_jit(program, in, stats);
    ASSERT_EQ(bug, "") << "input #" << i;
  }
  // Enough programs must get through the verifier and the JIT for the
  // comparison to test something.
  EXPECT_GT(stats.jit_compiled, stats.generated / 20);
  EXPECT_GE(stats.compared, stats.jit_compiled);
  EXPECT_EQ(stats.differences, 0u);
  std::printf("%s\n", format_stats(stats).c_str());
}

}  // namespace
}  // namespace ebpfaas::verifier::fuzz
