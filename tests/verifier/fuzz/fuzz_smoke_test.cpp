// The fuzzer's generator and checks, run on a fixed set of pseudo-random
// inputs as part of the test suite (the coverage-guided fuzzer itself is the
// optional verifier_fuzzer target).
#include <gtest/gtest.h>

#include <random>

#include "tests/verifier/fuzz/fuzz_program.h"

namespace ebpfaas::verifier::fuzz {
namespace {

TEST(VerifierFuzzSmoke, AcceptedProgramsRunSafely) {
  std::mt19937_64 rng(20240611);
  Stats stats;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> bytes(rng() % 600 + 8);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    FuzzedDataProvider in(bytes.data(), bytes.size());
    const auto program = generate_program(in);
    const std::string bug = check_program(program, in, stats);
    ASSERT_EQ(bug, "") << "input #" << i;
  }
  // The generator must produce programs the verifier accepts, or the
  // execution checks above test nothing.
  EXPECT_GT(stats.accepted, stats.generated / 20);
  std::printf("generated %llu, accepted %llu, runs %llu\n",
              static_cast<unsigned long long>(stats.generated),
              static_cast<unsigned long long>(stats.accepted),
              static_cast<unsigned long long>(stats.runs));
}

}  // namespace
}  // namespace ebpfaas::verifier::fuzz
